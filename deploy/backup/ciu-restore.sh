#!/usr/bin/env bash
# Restauration d'une sauvegarde faite par ciu-backup.sh, service arrêté.
#
#   ciu-restore.sh backup-AAAAMMJJ-HHMMSS.sql.gz    postgresql://UTILISATEUR:MOT_DE_PASSE@HÔTE/BASE
#   ciu-restore.sh backup-AAAAMMJJ-HHMMSS.sqlite.gz /var/lib/ciu-whatsapp/ciu.db
#
# PostgreSQL : la base cible doit exister et être VIDE (créez-la avec CREATE DATABASE) ;
# tout est restauré en une seule transaction, ou rien.
# SQLite : le fichier cible ne doit pas exister (rien n'est écrasé) ; il est créé avec
# les droits 600.
# Code de sortie non nul à la moindre erreur ; le mot de passe n'est jamais affiché.
set -euo pipefail
umask 077
# shellcheck source=deploy/lib.sh
source "$(dirname "$(readlink -f "$0")")/../lib.sh"

[ $# -eq 2 ] || fail "usage : $0 SAUVEGARDE.sql.gz URL_POSTGRESQL | SAUVEGARDE.sqlite.gz FICHIER_SQLITE"
backup=$1
target=$2
[ -r "$backup" ] || fail "sauvegarde illisible : $backup"
gzip -t "$backup" || fail "l'archive $backup est abîmée"

case $backup in
    *.sql.gz)
        case $target in
            postgres://* | postgresql://*) ;;
            *) fail "une sauvegarde .sql.gz se restaure dans une base PostgreSQL (postgresql://...)" ;;
        esac
        command -v psql >/dev/null || fail "psql introuvable : sudo apt install postgresql-client"
        split_postgres_password "$target"
        where=$(describe_postgres_url "$target")
        tables=$(psql --no-psqlrc -X -At --dbname="$PG_URL_NO_PASSWORD" \
            -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        [ "$tables" = "0" ] || fail "la $where n'est pas vide ($tables tables) : restaurez dans une base neuve"
        echo "Restauration dans la $where..."
        gzip -dc "$backup" |
            psql --no-psqlrc -X -q -v ON_ERROR_STOP=1 --single-transaction \
                --dbname="$PG_URL_NO_PASSWORD" >/dev/null
        # Une base restaurée n'a pas de statistiques : sans elles, PostgreSQL peut lire
        # toute une table à chaque code donné, jusqu'au passage d'autovacuum.
        psql --no-psqlrc -X -q -v ON_ERROR_STOP=1 --dbname="$PG_URL_NO_PASSWORD" -c "ANALYZE" >/dev/null
        ;;
    *.sqlite.gz)
        command -v sqlite3 >/dev/null || fail "sqlite3 introuvable : sudo apt install sqlite3"
        case $target in
            sqlite:*) target=$(sqlite_path "$target" "$PWD") ;;
        esac
        [ ! -e "$target" ] || fail "$target existe déjà : choisissez un autre fichier, ou déplacez celui-ci"
        echo "Restauration dans $target..."
        partial="$target.restoring"
        trap 'rm -f "$partial"' EXIT
        gzip -dc "$backup" >"$partial"
        check=$(sqlite3 "$partial" "PRAGMA integrity_check;")
        [ "$check" = "ok" ] || fail "la sauvegarde SQLite est corrompue : $check"
        mv "$partial" "$target"
        ;;
    *)
        fail "nom de sauvegarde inattendu (attendu : backup-*.sql.gz ou backup-*.sqlite.gz)"
        ;;
esac
echo "Restauration terminée. Vérifiez avec : ciu stats"
