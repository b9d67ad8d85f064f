#!/usr/bin/env bash
# Envoie au webhook un message WhatsApp comme Twilio le ferait, signé avec le
# TWILIO_AUTH_TOKEN du fichier .env : le « test 2 » du guide, quand la signature est
# vérifiée (en production, un curl sans signature reçoit 403).
#
#   webhook-test.sh FICHIER_ENV [MESSAGE] [NUMÉRO] [URL]
#
#   MESSAGE  « Test » par défaut
#   NUMÉRO   +24399999999 par défaut
#   URL      où envoyer : par défaut le service lui-même, http://127.0.0.1:PORT suivi de
#            WEBHOOK_PATH ; https://votre-domaine.cd/whatsapp/webhook pour passer par nginx
#
# La signature porte sur PUBLIC_BASE_URL suivi de WEBHOOK_PATH : l'adresse saisie dans la
# console Twilio. Affiche la réponse TwiML (XML) ; code de sortie non nul si le service
# refuse (403 : signature, donc PUBLIC_BASE_URL ou TWILIO_AUTH_TOKEN).
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

[ $# -ge 1 ] || fail "usage : $0 FICHIER_ENV [MESSAGE] [NUMÉRO] [URL]"
env_file=$1
[ -r "$env_file" ] || fail "fichier de configuration illisible : $env_file (essayez avec sudo -u whatsappbot)"
message=${2:-Test}
phone=${3:-+24399999999}
webhook_path=$(env_file_value "$env_file" WEBHOOK_PATH)
webhook_path=${webhook_path:-/whatsapp/webhook}
port=$(env_file_value "$env_file" PORT)
url=${4:-http://127.0.0.1:${port:-8000}$webhook_path}
token=$(env_file_value "$env_file" TWILIO_AUTH_TOKEN)
public_base_url=$(env_file_value "$env_file" PUBLIC_BASE_URL)

# Already in name order, as the signature needs.
params=("Body=$message" "From=whatsapp:$phone" "MessageSid=SMtest$(date +%s%N)" "NumMedia=0")
form=()
for param in "${params[@]}"; do form+=(--data-urlencode "$param"); done
signature=()
if [ -n "$token" ]; then
    # Twilio : base64(HMAC-SHA1(jeton, URL + chaque nom et valeur, triés par nom)).
    signed="${public_base_url:-${url%"$webhook_path"}}$webhook_path"
    for param in "${params[@]}"; do signed+="${param%%=*}${param#*=}"; done
    signature=(-H "X-Twilio-Signature: $(printf '%s' "$signed" |
        openssl dgst -sha1 -hmac "$token" -binary | openssl base64 -A)")
fi
curl -sS --fail-with-body "${signature[@]}" "${form[@]}" "$url"
echo
