# English. Reference locale: fr. Keep messages short: they are read on small phones.
# The { $... } variables are filled in by the program; do not translate them.

## Language
language-name = English
language-prompt = Choose your language
    .ussd = Language
language-invalid = Reply with a number from 1 to { $count }.
language-set = We will continue in English.

## Welcome and questions
welcome = Hello! This service gives you your Unique Identifier Code (CIU) in { $total } { $total ->
        [one] question
       *[other] questions
    }. No names are kept.
    .ussd = CIU in { $total } questions. No names are kept.
ack = Thank you.
q-birth-year = ({ $number }/{ $total }) In what year were you born?
    Example: 1985
q-mother-birthplace = ({ $number }/{ $total }) Where was your mother born? (town or village)
    Example: Kinshasa
q-first-name = ({ $number }/{ $total }) What is your first name?
    Example: Jean
q-birth-day = ({ $number }/{ $total }) What day of the month were you born?
    Example: 15
q-last-name = ({ $number }/{ $total }) What is your family name?
    Example: Kabila

## Summary labels
label-birth-year = Year of birth
    .ussd = Year
label-mother-birthplace = Mother's place of birth
    .ussd = Place (mother)
label-first-name = First name
    .ussd = First name
label-birth-day = Day of birth
    .ussd = Day
label-last-name = Family name
    .ussd = Family name

## Refused answers
err-empty = I did not receive any text. Please reply in writing.
err-media = I cannot read pictures, audio or stickers. Please reply in writing.
err-too-long = Message too long: { $max } characters at most.
err-year = Write the year in 4 digits, between { $min } and { $max }. Example: 1985
err-day = Write the day in numbers, from 1 to 31. Example: 15
err-integer = Write a whole number between { $min } and { $max }.
err-text = Write at least { $min } letters, without numbers.
err-text-too-long = Answer too long: { $max } characters at most.
err-choice = Reply with a number from 1 to { $count }.
err-pattern = This answer is not in the right format.
too-many-attempts = Too many attempts for this question. The conversation has ended. Send HELP for help, or any message to start again.
    .ussd = Too many attempts. The conversation has ended. Dial again to start over.

## Commands
help = Just answer the question. Commands:
    { $restart }: start again
    { $back }: previous question
    { $language }: change language
    { $stop }: stop and erase your answers
    .ussd = Commands: { $restart }, { $back }, { $language }, { $stop }
restarted = Starting again from the beginning.
back-at-first = You are already at the first question.
stopped = Stopped. Your answers have been erased. Send a message to start again.
    .ussd = Stopped. Your answers are erased. Dial again to start over.

## Confirmation
confirm-summary = Check your answers:
    { $summary }
    Is this correct?
    .ussd =
        Your answers:
        { $summary }
        Correct?
summary-line = { $label }: { $answer }
confirm-yes = Yes
confirm-no = No
confirm-invalid = Reply 1 (Yes) or 2 (No).
correct-which = Which answer do you want to correct?
list-button = Choose

## Result
result-new = Your CIU has been created:
    { $code }
    Keep it safe: you will need it at every visit.
    .ussd =
        Your CIU:
        { $code }
        Keep it for every visit.
result-existing = This code was already created with the same answers:
    { $code }
result-unavailable = Sorry, your code cannot be generated right now. Please contact the programme team.

## Session
expired = Your session expired after { $minutes } minutes without a reply. Starting again.
flow-changed = The questions have been updated. Starting again from the beginning.
resumed = Picking up where you left off. To start again, send { $restart }.
    .ussd = Resuming. To start again: { $restart }

## Full date of birth (validator date, see CUSTOMIZING_QUESTIONS.md)
q-birth-date = ({ $number }/{ $total }) What is your date of birth? (day, month, year)
    Example: 15/03/1985
label-birth-date = Date of birth
err-date = Write the full date: day, month and year. Example: 15/03/1985 or 15 March 1985
err-date-impossible = This date does not exist. Check the day and the month. Example: 15/03/1985
err-date-year = The year must be between { $min } and { $max }. Example: 15/03/1985
err-date-future = This date has not come yet. Write your date of birth. Example: 15/03/1985

## Example questions of the choice and regex validators (tests/golden/validators/,
## CUSTOMIZING_QUESTIONS.md); the shipped flow does not ask them.
q-birthplace-kind = ({ $number }/{ $total }) Were you born in a town or a village?
label-birthplace-kind = Town or village
opt-birthplace-town = In a town
opt-birthplace-village = In a village
q-site = ({ $number }/{ $total }) What is the code of your site?
    Example: KN-012
label-site = Site
err-site = Write the site code: 2 letters, a dash, 3 digits. Example: KN-012
