#!/usr/bin/env bash
# Print the JAVA_HOME of a JDK that Spark 4.1 supports (17 or 21), or explain in one sentence what is missing.
# Order: $JAVA_HOME if it is 17/21, then the `java` on PATH, then JDKs installed under /usr/lib/jvm and /opt.
set -u

major_of() {  # major version printed by "<java> -version", empty when it does not run
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}
home_of() { dirname "$(dirname "$(readlink -f "$1")")"; }

seen=""
try() {  # $1: path to a java binary
  [ -x "$1" ] || return 1
  local major; major=$(major_of "$1")
  seen="$seen ${major:-unknown}($(home_of "$1"))"
  if [ "$major" = "17" ] || [ "$major" = "21" ]; then home_of "$1"; exit 0; fi
  return 1
}

[ -n "${JAVA_HOME:-}" ] && try "$JAVA_HOME/bin/java"
command -v java >/dev/null 2>&1 && try "$(command -v java)"
for candidate in /usr/lib/jvm/*17*/bin/java /usr/lib/jvm/*21*/bin/java /opt/*jdk*17*/bin/java /opt/*jdk*21*/bin/java; do
  try "$candidate"
done
echo "Java 17 or 21 is required by Spark 4.1 but none was found (seen:${seen:- no java at all}); install one (for example 'apt-get install openjdk-17-jdk-headless') or point JAVA_HOME at it." >&2
exit 1
