//! Plausible answers people key in, shared by the property suites (tests/properties.rs,
//! tests/ussd_properties.rs): menu choices, years, places, names, days.

/// Menu choices and plausible answers to the default flow's questions.
pub const PLAUSIBLE_ANSWERS: [&str; 14] = [
    "1", "2", "3", "4", "5", "9", "0", "1985", "85", "Kinshasa", "Jean", "15", "32", "Kabila",
];
