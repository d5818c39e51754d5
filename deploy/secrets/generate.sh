#!/bin/sh
# Create the secret files docker-compose.yml mounts, with random values; existing files are
# kept (delete one to replace it). Run from anywhere:  deploy/secrets/generate.sh
#
#   redis_password          the password Redis requires (letters and digits only)
#   redis_url               redis://:<password>@redis:6379/0, read by ingest, enrich and Flower
#   flower_basic_auth       user:password for Flower (profile `flower`)
#   grafana_admin_password  Grafana's admin password (profile `monitoring`)
#
# The folder is 0700 (only you can look inside), the files 0644 so that the containers' users
# (redis 999, newswire 10001 or $NEWSWIRE_UID, grafana 472) can read them through the bind mount.
set -eu
dir="${NEWSWIRE_SECRETS:-$(cd "$(dirname "$0")" && pwd)}"
mkdir -p "$dir"
chmod 0700 "$dir"

random() {
    # 32 random bytes as 64 hex digits: safe in a URL, a redis.conf line and user:password.
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

write() {
    if [ -s "$dir/$1" ]; then
        echo "kept    $dir/$1"
        return
    fi
    (umask 022 && printf '%s' "$2" > "$dir/$1")
    chmod 0644 "$dir/$1"
    echo "created $dir/$1"
}

write redis_password "$(random)"
write redis_url "redis://:$(cat "$dir/redis_password")@redis:6379/0"
write flower_basic_auth "admin:$(random)"
write grafana_admin_password "$(random)"
