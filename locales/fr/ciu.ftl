# Langue de référence. Gardez les messages courts : ils sont lus sur de petits téléphones.
# Les variables { $... } sont remplies par le programme ; ne les traduisez pas.

## Langue
language-name = Français
language-prompt = Choisissez votre langue
    .ussd = Langue
language-invalid = Répondez par un chiffre de 1 à { $count }.
language-set = Nous continuons en français.

## Accueil et questions
welcome = Bonjour ! Ce service vous donne votre Code Identificateur Unique (CIU) en { $total } { $total ->
        [one] question
       *[other] questions
    }. Aucun nom n'est conservé.
    .ussd = CIU en { $total } questions. Aucun nom n'est conservé.
ack = Merci.
q-birth-year = ({ $number }/{ $total }) En quelle année êtes-vous né(e) ?
    Exemple : 1985
q-mother-birthplace = ({ $number }/{ $total }) Où est née votre mère ? (ville ou village)
    Exemple : Kinshasa
q-first-name = ({ $number }/{ $total }) Quel est votre prénom ?
    Exemple : Jean
q-birth-day = ({ $number }/{ $total }) Quel jour du mois êtes-vous né(e) ?
    Exemple : 15
q-last-name = ({ $number }/{ $total }) Quel est votre nom de famille ?
    Exemple : Kabila

## Libellés du résumé
label-birth-year = Année de naissance
    .ussd = Année
label-mother-birthplace = Lieu de naissance (mère)
    .ussd = Lieu (mère)
label-first-name = Prénom
    .ussd = Prénom
label-birth-day = Jour de naissance
    .ussd = Jour
label-last-name = Nom de famille
    .ussd = Nom

## Réponses refusées
err-empty = Je n'ai pas reçu de texte. Répondez par écrit, s'il vous plaît.
err-media = Je ne peux pas lire les images, sons ou autocollants. Répondez par écrit, s'il vous plaît.
err-too-long = Message trop long : { $max } caractères au maximum.
err-year = Écrivez l'année en 4 chiffres, entre { $min } et { $max }. Exemple : 1985
err-day = Écrivez le jour en chiffres, de 1 à 31. Exemple : 15
err-integer = Écrivez un nombre entier entre { $min } et { $max }.
err-text = Écrivez au moins { $min } lettres, sans chiffres.
err-text-too-long = Réponse trop longue : { $max } caractères au maximum.
err-choice = Répondez par un chiffre de 1 à { $count }.
err-pattern = Cette réponse n'a pas le format attendu.
too-many-attempts = Trop d'essais pour cette question. La conversation est terminée. Envoyez AIDE pour de l'aide, ou un message pour recommencer.
    .ussd = Trop d'essais. Conversation terminée. Composez à nouveau pour recommencer.

## Commandes
help = Répondez simplement à la question. Commandes :
    { $restart } : recommencer
    { $back } : question précédente
    { $language } : changer de langue
    { $stop } : arrêter et effacer vos réponses
    .ussd = Commandes : { $restart }, { $back }, { $language }, { $stop }
restarted = Nous recommençons depuis le début.
back-at-first = Vous êtes déjà à la première question.
stopped = C'est arrêté. Vos réponses ont été effacées. Envoyez un message pour recommencer.
    .ussd = Arrêté. Vos réponses sont effacées. Composez à nouveau pour recommencer.

## Confirmation
confirm-summary = Vérifiez vos réponses :
    { $summary }
    Est-ce correct ?
    .ussd =
        Vos réponses :
        { $summary }
        Correct ?
summary-line = { $label } : { $answer }
confirm-yes = Oui
confirm-no = Non
confirm-invalid = Répondez 1 (Oui) ou 2 (Non).
correct-which = Quelle réponse voulez-vous corriger ?
list-button = Choisir

## Résultat
result-new = Votre CIU a été généré :
    { $code }
    Gardez-le bien : il vous sera demandé à chaque visite.
    .ussd =
        Votre CIU :
        { $code }
        Gardez-le pour chaque visite.
result-existing = Ce code a déjà été généré avec les mêmes informations :
    { $code }
result-unavailable = Désolé, votre code ne peut pas être généré pour le moment. Contactez l'équipe du programme.

## Session
expired = Votre session a expiré après { $minutes } minutes sans réponse. Nous recommençons.
flow-changed = Les questions ont été mises à jour. Nous recommençons depuis le début.
resumed = Nous reprenons là où vous en étiez. Pour recommencer, envoyez { $restart }.
    .ussd = On reprend. Pour recommencer : { $restart }

## Date de naissance complète (validateur date, voir CUSTOMIZING_QUESTIONS.md)
q-birth-date = ({ $number }/{ $total }) Quelle est votre date de naissance ? (jour, mois, année)
    Exemple : 15/03/1985
label-birth-date = Date de naissance
err-date = Écrivez la date complète : jour, mois et année. Exemple : 15/03/1985 ou 15 mars 1985
err-date-impossible = Cette date n'existe pas. Vérifiez le jour et le mois. Exemple : 15/03/1985
err-date-year = L'année doit être entre { $min } et { $max }. Exemple : 15/03/1985
err-date-future = Cette date n'est pas encore arrivée. Écrivez votre date de naissance. Exemple : 15/03/1985

## Questions d'exemple des validateurs choice et regex (tests/golden/validators/,
## CUSTOMIZING_QUESTIONS.md) ; le flux livré ne les pose pas.
q-birthplace-kind = ({ $number }/{ $total }) Êtes-vous né(e) en ville ou au village ?
label-birthplace-kind = Ville ou village
opt-birthplace-town = En ville
opt-birthplace-village = Au village
q-site = ({ $number }/{ $total }) Quel est le code de votre site ?
    Exemple : KN-012
label-site = Site
err-site = Écrivez le code du site : 2 lettres, un tiret, 3 chiffres. Exemple : KN-012
