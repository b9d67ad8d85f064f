#!/usr/bin/env bash
# Sauvegarde de la base du Générateur de CIU WhatsApp, service en marche.
#
#   ciu-backup.sh [/opt/ciu-whatsapp/.env]
#
# DATABASE_URL est lu dans le fichier .env donné, sinon dans l'environnement.
#   PostgreSQL : pg_dump | gzip          -> backup-AAAAMMJJ-HHMMSS.sql.gz
#   SQLite     : sqlite3 .backup, gzip   -> backup-AAAAMMJJ-HHMMSS.sqlite.gz
# Dossier : BACKUP_DIR, sinon /var/backups/ciu-whatsapp pour root, ~/backups pour les
# autres utilisateurs. Les sauvegardes de plus de 30 jours (BACKUP_RETENTION_DAYS) sont
# supprimées. Code de sortie non nul à la moindre erreur ; le mot de passe n'est jamais
# affiché (il passe à pg_dump par PGPASSWORD, pas sur la ligne de commande).
set -euo pipefail
umask 077
# shellcheck source=deploy/lib.sh
source "$(dirname "$(readlink -f "$0")")/../lib.sh"

env_file=${1:-}
if [ -n "$env_file" ]; then
    [ -r "$env_file" ] || fail "fichier de configuration illisible : $env_file"
    database_url=$(env_file_value "$env_file" DATABASE_URL)
    # Un chemin SQLite relatif l'est au dossier du service, celui du .env.
    relative_to=$(cd "$(dirname "$env_file")" && pwd)
    [ -n "$database_url" ] || fail "DATABASE_URL n'est pas défini dans $env_file"
else
    database_url=${DATABASE_URL:-}
    relative_to=$PWD
    [ -n "$database_url" ] || fail "DATABASE_URL n'est pas défini : donnez le fichier .env en argument"
fi

if [ -n "${BACKUP_DIR:-}" ]; then
    backup_dir=$BACKUP_DIR
elif [ "$(id -u)" -eq 0 ]; then
    backup_dir=/var/backups/ciu-whatsapp
else
    backup_dir=$HOME/backups
fi
retention_days=${BACKUP_RETENTION_DAYS:-30}
mkdir -p "$backup_dir"
chmod 700 "$backup_dir"

stamp=$(date +%Y%m%d-%H%M%S)
# Fichiers inachevés, supprimés si le script s'arrête avant la fin.
partial=""
copy=""
cleanup() {
    rm -f ${partial:+"$partial"} ${copy:+"$copy"}
}
trap cleanup EXIT

case $database_url in
    postgres://* | postgresql://*)
        command -v pg_dump >/dev/null || fail "pg_dump introuvable : sudo apt install postgresql-client"
        split_postgres_password "$database_url"
        target="$backup_dir/backup-$stamp.sql.gz"
        partial="$target.partial"
        where=$(describe_postgres_url "$database_url")
        echo "Sauvegarde PostgreSQL : $where"
        pg_dump --no-owner --no-privileges --dbname="$PG_URL_NO_PASSWORD" | gzip -9 >"$partial"
        ;;
    sqlite:*)
        command -v sqlite3 >/dev/null || fail "sqlite3 introuvable : sudo apt install sqlite3"
        db=$(sqlite_path "$database_url" "$relative_to")
        [ -f "$db" ] || fail "base SQLite introuvable : $db"
        target="$backup_dir/backup-$stamp.sqlite.gz"
        partial="$target.partial"
        copy="$backup_dir/.backup-$stamp.sqlite"
        echo "Sauvegarde SQLite : $db"
        # L'API de sauvegarde en ligne de SQLite : une copie cohérente même pendant que
        # le service écrit.
        sqlite3 "$db" ".backup '$copy'"
        check=$(sqlite3 "$copy" "PRAGMA integrity_check;")
        [ "$check" = "ok" ] || fail "la copie SQLite est corrompue : $check"
        gzip -9 -c "$copy" >"$partial"
        rm -f "$copy"
        copy=""
        ;;
    *)
        fail "DATABASE_URL non reconnu (attendu : postgresql://... ou sqlite://...)"
        ;;
esac

gzip -t "$partial" || fail "l'archive $partial est illisible"
mv "$partial" "$target"
partial=""
size=$(du -h "$target" | cut -f1)
echo "Sauvegarde créée : $target ($size)"

find "$backup_dir" -maxdepth 1 -type f -name 'backup-*.gz' -mtime +"$retention_days" -print -delete |
    sed 's/^/Ancienne sauvegarde supprimée : /'
