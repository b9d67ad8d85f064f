# Kiswahili. Reference locale: fr. Keep messages short: they are read on small phones.
# The { $... } variables are filled in by the program; do not translate them.
# REVIEW: written by the development team. A native speaker must review it before
# it goes live (see TRANSLATING.md, "Review status").

## Language
language-name = Kiswahili
language-prompt = Chagua lugha yako
    .ussd = Lugha
language-invalid = Jibu kwa nambari kati ya 1 na { $count }.
language-set = Tunaendelea kwa Kiswahili.

## Welcome and questions
welcome = Karibu! Huduma hii inakupa Code Identificateur Unique (CIU) yako kwa maswali { $total }. Hakuna jina linalohifadhiwa.
    .ussd = CIU kwa maswali { $total }. Hakuna jina linalohifadhiwa.
ack = Asante.
q-birth-year = ({ $number }/{ $total }) Ulizaliwa mwaka gani?
    Mfano: 1985
q-mother-birthplace = ({ $number }/{ $total }) Mama yako alizaliwa wapi? (mji au kijiji)
    Mfano: Kinshasa
q-first-name = ({ $number }/{ $total }) Jina lako la kwanza ni nani?
    Mfano: Jean
q-birth-day = ({ $number }/{ $total }) Ulizaliwa tarehe ngapi ya mwezi?
    Mfano: 15
q-last-name = ({ $number }/{ $total }) Jina lako la ukoo ni nani?
    Mfano: Kabila

## Summary labels
label-birth-year = Mwaka wa kuzaliwa
    .ussd = Mwaka
label-mother-birthplace = Mahali mama alipozaliwa
    .ussd = Mahali (mama)
label-first-name = Jina la kwanza
    .ussd = Jina
label-birth-day = Siku ya kuzaliwa
    .ussd = Siku
label-last-name = Jina la ukoo
    .ussd = Ukoo

## Refused answers
err-empty = Sikupokea maandishi. Tafadhali jibu kwa maandishi.
err-media = Siwezi kusoma picha, sauti wala stika. Tafadhali jibu kwa maandishi.
err-too-long = Ujumbe ni mrefu mno: usizidi herufi { $max }.
err-year = Andika mwaka kwa tarakimu 4, kati ya { $min } na { $max }. Mfano: 1985
err-day = Andika siku kwa tarakimu, kati ya 1 na 31. Mfano: 15
err-integer = Andika nambari kamili kati ya { $min } na { $max }.
err-text = Andika angalau herufi { $min }, bila tarakimu.
err-text-too-long = Jibu ni refu mno: usizidi herufi { $max }.
err-choice = Jibu kwa nambari kati ya 1 na { $count }.
err-pattern = Jibu hili halina muundo unaotakiwa.
too-many-attempts = Umejaribu mara nyingi mno kwa swali hili. Mazungumzo yamekwisha. Tuma MSAADA kupata msaada, au ujumbe wowote kuanza upya.
    .ussd = Majaribio mengi mno. Mazungumzo yamekwisha. Piga tena kuanza upya.

## Commands
help = Jibu swali tu. Amri:
    { $restart }: kuanza upya
    { $back }: swali lililopita
    { $language }: kubadili lugha
    { $stop }: kusimamisha na kufuta majibu yako
    .ussd = Amri: { $restart }, { $back }, { $language }, { $stop }
restarted = Tunaanza upya tangu mwanzo.
back-at-first = Tayari uko kwenye swali la kwanza.
stopped = Imesimamishwa. Majibu yako yamefutwa. Tuma ujumbe kuanza upya.
    .ussd = Imesimamishwa. Majibu yamefutwa. Piga tena kuanza upya.

## Confirmation
confirm-summary = Hakikisha majibu yako:
    { $summary }
    Je, ni sahihi?
    .ussd =
        Majibu yako:
        { $summary }
        Ni sahihi?
summary-line = { $label }: { $answer }
confirm-yes = Ndiyo
confirm-no = Hapana
confirm-invalid = Jibu 1 (Ndiyo) au 2 (Hapana).
correct-which = Unataka kusahihisha jibu gani?
list-button = Chagua

## Result
result-new = CIU yako imetengenezwa:
    { $code }
    Itunze vizuri: utaihitaji kila utakapokuja.
    .ussd =
        CIU yako:
        { $code }
        Iweke kwa kila ziara.
result-existing = Msimbo huu tayari ulitengenezwa kwa taarifa zilezile:
    { $code }
result-unavailable = Samahani, msimbo wako hauwezi kutengenezwa kwa sasa. Wasiliana na timu ya mpango.

## Session
expired = Mazungumzo yamekwisha baada ya dakika { $minutes } bila jibu. Tunaanza upya.
flow-changed = Maswali yamebadilishwa. Tunaanza upya tangu mwanzo.
resumed = Tunaendelea ulipoishia. Kuanza upya, tuma { $restart }.
    .ussd = Tunaendelea. Kuanza upya: { $restart }

## Full date of birth (validator date, see CUSTOMIZING_QUESTIONS.md)
q-birth-date = ({ $number }/{ $total }) Tarehe yako ya kuzaliwa ni ipi? (siku, mwezi, mwaka)
    Mfano: 15/03/1985
label-birth-date = Tarehe ya kuzaliwa
err-date = Andika tarehe kamili: siku, mwezi na mwaka. Mfano: 15/03/1985 au 15 Machi 1985
err-date-impossible = Tarehe hii haipo. Angalia siku na mwezi. Mfano: 15/03/1985
err-date-year = Mwaka lazima uwe kati ya { $min } na { $max }. Mfano: 15/03/1985
err-date-future = Tarehe hii bado haijafika. Andika tarehe yako ya kuzaliwa. Mfano: 15/03/1985

## Example questions of the choice and regex validators (tests/golden/validators/,
## CUSTOMIZING_QUESTIONS.md); the shipped flow does not ask them.
q-birthplace-kind = ({ $number }/{ $total }) Ulizaliwa mjini au kijijini?
label-birthplace-kind = Mji au kijiji
opt-birthplace-town = Mjini
opt-birthplace-village = Kijijini
q-site = ({ $number }/{ $total }) Nambari ya kituo chako ni ipi?
    Mfano: KN-012
label-site = Kituo
err-site = Andika nambari ya kituo: herufi 2, kistari, tarakimu 3. Mfano: KN-012
