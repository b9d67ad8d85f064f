# Lingala. Reference locale: fr. Keep messages short: they are read on small phones.
# The { $... } variables are filled in by the program; do not translate them.
# REVIEW: written by the development team. A native speaker must review it before
# it goes live (see TRANSLATING.md, "Review status").

## Language
language-name = Lingala
language-prompt = Pona monoko na yo
    .ussd = Monoko
language-invalid = Yanola na nimero kobanda 1 tii { $count }.
language-set = Tokokoba na Lingala.

## Welcome and questions
welcome = Mbote! Na mituna { $total }, mosala oyo ekopesa yo Code Identificateur Unique (CIU) na yo. Tobombaka kombo ata moko te.
    .ussd = CIU na mituna { $total }. Tobombaka kombo te.
ack = Matondo.
q-birth-year = ({ $number }/{ $total }) Obotama na mobu nini?
    Ndakisa: 1985
q-mother-birthplace = ({ $number }/{ $total }) Mama na yo abotama wapi? (engumba to mboka)
    Ndakisa: Kinshasa
q-first-name = ({ $number }/{ $total }) Kombo na yo ya liboso?
    Ndakisa: Jean
q-birth-day = ({ $number }/{ $total }) Obotama mokolo ya boni ya sanza?
    Ndakisa: 15
q-last-name = ({ $number }/{ $total }) Kombo na yo ya libota?
    Ndakisa: Kabila

## Summary labels
label-birth-year = Mobu ya kobotama
    .ussd = Mobu
label-mother-birthplace = Esika mama abotama
    .ussd = Esika (mama)
label-first-name = Kombo ya liboso
    .ussd = Kombo
label-birth-day = Mokolo ya kobotama
    .ussd = Mokolo
label-last-name = Kombo ya libota
    .ussd = Libota

## Refused answers
err-empty = Nazwi makomi te. Nabondeli yo, yanola na kokoma.
err-media = Nakoki kotanga bafoto, mingongo to ba-sticker te. Nabondeli yo, yanola na kokoma.
err-too-long = Nsango eleki molai: koleka ba-lettre { $max } te.
err-year = Koma mobu mobimba, kati na { $min } mpe { $max }. Ndakisa: 1985
err-day = Koma mokolo na nimero, kobanda 1 tii 31. Ndakisa: 15
err-integer = Koma nimero mobimba kati na { $min } mpe { $max }.
err-text = Koma ata ba-lettre { $min }, kozanga nimero.
err-text-too-long = Eyano eleki molai: koleka ba-lettre { $max } te.
err-choice = Yanola na nimero kobanda 1 tii { $count }.
err-pattern = Lolenge ya eyano oyo ebongi te.
too-many-attempts = Omeki mbala mingi mpo na motuna oyo. Lisolo esili. Tinda LISALISI mpo na kozwa lisalisi, to nsango mpo na kobanda lisusu.
    .ussd = Omeki mbala mingi. Lisolo esili. Benga lisusu mpo na kobanda.

## Commands
help = Yanola kaka motuna. Okoki mpe kotinda:
    { $restart }: kobanda lisusu
    { $back }: motuna oyo eleki
    { $language }: kobongola monoko
    { $stop }: kotika mpe kolongola biyano na yo
    .ussd = Mitindo : { $restart }, { $back }, { $language }, { $stop }
restarted = Tozongi na ebandeli.
back-at-first = Oyo nde motuna ya liboso.
stopped = Esili. Biyano na yo elongolami. Tinda nsango mpo na kobanda lisusu.
    .ussd = Esili. Biyano elongolami. Benga lisusu mpo na kobanda.

## Confirmation
confirm-summary = Tala malamu biyano na yo:
    { $summary }
    Ezali malamu?
    .ussd =
        Biyano na yo:
        { $summary }
        Ezali malamu?
summary-line = { $label }: { $answer }
confirm-yes = Ee
confirm-no = Te
confirm-invalid = Yanola 1 (Ee) to 2 (Te).
correct-which = Eyano nini olingi kobongisa?
list-button = Pona

## Result
result-new = CIU na yo esalemi:
    { $code }
    Bomba yango malamu: bakosenga yo yango mbala nyonso okoya.
    .ussd =
        CIU na yo:
        { $code }
        Bomba yango mpo na mbala nyonso.
result-existing = Code oyo esilaki kosalema na biyano ndenge moko:
    { $code }
result-unavailable = Bolimbisi, tokoki kosala code na yo sikoyo te. Solola na ekipe ya programme.

## Session
expired = Lisolo esili mpo oyanoli te na miniti { $minutes }. Tobandi lisusu.
flow-changed = Mituna ebongwani. Tozongi na ebandeli.
resumed = Tozongeli esika otikaki. Mpo na kobanda sika, tinda { $restart }.
    .ussd = Tozongeli. Mpo na kobanda sika: { $restart }

## Full date of birth (validator date, see CUSTOMIZING_QUESTIONS.md)
q-birth-date = ({ $number }/{ $total }) Obotamaki mokolo nini? (mokolo, sanza, mobu)
    Ndakisa: 15/03/1985
label-birth-date = Mokolo ya kobotama
err-date = Koma mokolo mobimba: mokolo, sanza mpe mobu. Ndakisa: 15/03/1985 to 15 sanza ya misato 1985
err-date-impossible = Mokolo oyo ezali te. Tala malamu mokolo mpe sanza. Ndakisa: 15/03/1985
err-date-year = Mobu esengeli kozala kati na { $min } mpe { $max }. Ndakisa: 15/03/1985
err-date-future = Mokolo oyo ekoki naino te. Koma mokolo obotamaki. Ndakisa: 15/03/1985

## Example questions of the choice and regex validators (tests/golden/validators/,
## CUSTOMIZING_QUESTIONS.md); the shipped flow does not ask them.
q-birthplace-kind = ({ $number }/{ $total }) Obotamaki na engumba to na mboka?
label-birthplace-kind = Engumba to mboka
opt-birthplace-town = Na engumba
opt-birthplace-village = Na mboka
q-site = ({ $number }/{ $total }) Code ya esika na yo ezali nini?
    Ndakisa: KN-012
label-site = Esika
err-site = Koma code ya esika: balɛtɛlɛ 2, motɛ́ka, nimero 3. Ndakisa: KN-012
