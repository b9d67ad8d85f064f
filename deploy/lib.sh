# shellcheck shell=bash
# Fonctions partagées par les scripts de deploy/ (à charger avec `source`). Elles lisent
# le fichier .env sans l'exécuter, et ne montrent jamais un mot de passe.

# Valeur de la variable $2 dans le fichier .env $1 (dernière ligne NOM=valeur ;
# guillemets simples ou doubles retirés) ; vide si elle n'y est pas.
env_file_value() {
    local file=$1 name=$2 line value
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=" "$file" | tail -n 1) || true
    value=${line#*=}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    case $value in
        \"*\") value=${value:1:${#value}-2} ;;
        \'*\') value=${value:1:${#value}-2} ;;
    esac
    printf '%s' "$value"
}

# Décode les %XX d'une partie d'URL (mot de passe, chemin) ; rien d'autre n'est
# interprété (une barre oblique inverse reste telle quelle).
percent_decode() {
    local encoded=${1//\\/\\\\}
    printf '%b' "${encoded//%/\\x}"
}

# Pour une URL PostgreSQL : exporte PGPASSWORD (décodé) et met dans PG_URL_NO_PASSWORD
# la même URL sans mot de passe, que l'on peut passer à psql/pg_dump sans qu'il
# apparaisse dans la liste des processus ou les messages.
# shellcheck disable=SC2034 # PG_URL_NO_PASSWORD is read by the calling script.
split_postgres_password() {
    local url=$1 scheme rest authority path userinfo hostport user
    scheme=${url%%://*}
    rest=${url#*://}
    authority=${rest%%/*}
    path=${rest:${#authority}}
    if [[ $authority == *@* ]]; then
        userinfo=${authority%@*}
        hostport=${authority##*@}
        user=${userinfo%%:*}
        if [[ $userinfo == *:* ]]; then
            PGPASSWORD=$(percent_decode "${userinfo#*:}")
            export PGPASSWORD
        fi
        PG_URL_NO_PASSWORD="$scheme://$user@$hostport$path"
    else
        PG_URL_NO_PASSWORD=$url
    fi
}

# Description sans secret d'une URL PostgreSQL : « base X sur hôte Y ».
describe_postgres_url() {
    local rest=${1#*://} authority path
    authority=${rest%%/*}
    path=${rest:${#authority}}
    path=${path#/}
    printf 'base %s sur %s' "${path%%\?*}" "${authority##*@}"
}

# Chemin du fichier d'une URL SQLite (sqlite://chemin, sqlite:///absolu, sqlite:chemin),
# relatif à $2 quand il n'est pas absolu.
sqlite_path() {
    local url=$1 base=$2 path
    path=${url#sqlite:}
    path=${path#//}
    path=${path%%\?*}
    path=$(percent_decode "$path")
    if [[ $path != /* ]]; then
        path="$base/$path"
    fi
    printf '%s' "$path"
}

fail() {
    echo "ERREUR : $*" >&2
    exit 1
}
