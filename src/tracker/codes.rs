//! Spine's code tables as enums. Each keeps an `Unknown` case holding the code Spine sent,
//! so a code we have never seen is shown as itself instead of failing the whole response.

use serde::{Serialize, Serializer};

/// What every code table offers the decoder.
pub trait CodeTable: Sized {
    /// The enum case for a wire code (as each table's own `from_code`).
    fn from_wire(code: &str) -> Self;

    /// Our standard wording of a known code; `None` for a code not in the table.
    fn standard_label(&self) -> Option<&'static str>;
}

/// Declares a code-table enum: known codes with their standard labels, plus `Unknown(code)`.
macro_rules! code_table {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A code not in our table, exactly as Spine sent it.
            Unknown(String),
        }

        impl $name {
            /// Every known code, in table order (for filters and pickers).
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The enum case for a wire code; surrounding whitespace is ignored.
            pub fn from_code(code: &str) -> Self {
                // Spine's codes come without spaces: the exact match first spares the trim.
                match code {
                    $( $code => return Self::$variant, )+
                    _ => {}
                }
                match code.trim() {
                    $( $code => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The code as Spine writes it.
            pub fn code(&self) -> &str {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Unknown(code) => code,
                }
            }

            /// Our standard wording for the code (Spine's own text varies; show Spine's
            /// text where it sent one).
            pub fn label(&self) -> &str {
                self.standard_label().unwrap_or("unknown code")
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl CodeTable for $name {
            fn from_wire(code: &str) -> Self {
                Self::from_code(code)
            }

            fn standard_label(&self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($label), )+
                    Self::Unknown(_) => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }
    };
}

code_table! {
    /// Prescription (issue) status: `prescriptionStatus.statusCode` and the search filter.
    PrescriptionStatus {
        AwaitingReleaseReady = "0000", "Awaiting release ready";
        ToBeDispensed = "0001", "To be dispensed";
        WithDispenser = "0002", "With dispenser";
        WithDispenserActive = "0003", "With dispenser - active";
        Expired = "0004", "Expired";
        Cancelled = "0005", "Cancelled";
        Dispensed = "0006", "Dispensed";
        NotDispensed = "0007", "Not dispensed";
        Claimed = "0008", "Claimed";
        NoClaimed = "0009", "No-claimed";
        /// A later eRD issue, held until the previous one is finished.
        RepeatDispenseFutureInstance = "9000", "Repeat dispense future instance";
        /// Future-dated: downloadable from its start date.
        FutureInstance = "9001", "Prescription future instance";
        /// A cancellation that reached Spine before the prescription did. Not the
        /// `pendingCancellations` flag.
        CancelledFutureInstance = "9005", "Cancelled future instance";
    }
}

code_table! {
    /// Line item status (`lineItems.*.status.statusCode`): EPS's own item vocabulary, a
    /// different table from the prescription status.
    LineItemStatus {
        FullyDispensed = "0001", "Item fully dispensed";
        NotDispensed = "0002", "Item not dispensed";
        PartiallyDispensed = "0003", "Item dispensed - partial";
        NotDispensedOwing = "0004", "Item not dispensed - owing";
        Cancelled = "0005", "Item cancelled";
        Expired = "0006", "Item expired";
        ToBeDispensed = "0007", "Item to be dispensed";
        WithDispenser = "0008", "Item with dispenser";
    }
}

code_table! {
    /// Treatment type (`prescriptionTreatmentType`).
    TreatmentType {
        Acute = "0001", "Acute";
        Repeat = "0002", "Repeat prescribing";
        /// eRD: one prescription, several issues, each with its own status.
        RepeatDispensing = "0003", "Repeat dispensing";
    }
}

code_table! {
    /// Prescriber type (`prescriptionType`). The Tracker pages print 0101, 0102 and 0108 in
    /// their examples (and 0001 on the oldest page); the others are the primary care codes of
    /// the NHS prescription-type code system used by EPS. Anything else stays `Unknown`.
    PrescriberType {
        GeneralPractitionerLegacy = "0001", "General practitioner prescribing";
        GeneralPractitioner = "0101", "GP prescribing";
        GpRegistrar = "0102", "GP prescribing - trainee doctor / GP registrar";
        Nurse = "0104", "Nurse independent / supplementary prescriber";
        CommunityNurse = "0105", "Community practitioner nurse prescriber";
        Pharmacist = "0108", "Pharmacist independent / supplementary prescriber";
        Optometrist = "0113", "Optometrist independent / supplementary prescriber";
        Podiatrist = "0114", "Podiatrist independent / supplementary prescriber";
    }
}

code_table! {
    /// EPS release: R1 (paper era; status unreliable) or R2 (electronic).
    EpsVersion {
        R1 = "R1", "EPS Release 1 (paper era)";
        R2 = "R2", "EPS Release 2 (electronic)";
    }
}

/// The national web tracker's tabs: where a status belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusGroup {
    Current,
    Future,
    Past,
}

impl StatusGroup {
    pub fn label(self) -> &'static str {
        match self {
            StatusGroup::Current => "Current",
            StatusGroup::Future => "Future",
            StatusGroup::Past => "Past",
        }
    }
}

/// Lower-cases and keeps only letters and digits, so that "With Dispenser - Active",
/// "With dispenser active" and "with-dispenser active" compare equal.
fn fold(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl PrescriptionStatus {
    /// The tab the national web tracker puts this status under; `None` for unknown codes.
    pub fn group(&self) -> Option<StatusGroup> {
        use PrescriptionStatus::*;
        match self {
            ToBeDispensed | WithDispenser | WithDispenserActive | Cancelled | Dispensed => {
                Some(StatusGroup::Current)
            }
            Expired | NotDispensed | Claimed | NoClaimed => Some(StatusGroup::Past),
            AwaitingReleaseReady
            | RepeatDispenseFutureInstance
            | FutureInstance
            | CancelledFutureInstance => Some(StatusGroup::Future),
            Unknown(_) => None,
        }
    }

    /// The status for a text Spine sent without a code (the clinical shapes), matched
    /// ignoring case, spaces and punctuation against the texts Spine and the national
    /// trackers are known to use.
    pub fn from_text(text: &str) -> Option<Self> {
        use PrescriptionStatus::*;
        let status = match fold(text).as_str() {
            "awaitingreleaseready" | "availabletodownloadwhendue" => AwaitingReleaseReady,
            "tobedispensed" | "availabletodownload" => ToBeDispensed,
            "withdispenser" | "downloadedbyadispenser" => WithDispenser,
            "withdispenseractive" | "someitemsdispensed" => WithDispenserActive,
            "expired" => Expired,
            "cancelled" => Cancelled,
            "dispensed" | "allitemsdispensed" => Dispensed,
            "notdispensed" => NotDispensed,
            "claimed" => Claimed,
            "noclaimed" | "notclaimed" => NoClaimed,
            "repeatdispensefutureinstance" | "futureerdissue" => RepeatDispenseFutureInstance,
            "prescriptionfutureinstance" | "todispenseinthefuture" => FutureInstance,
            "cancelledfutureinstance" | "futureprescriptioncancelled" => CancelledFutureInstance,
            _ => return None,
        };
        Some(status)
    }
}

impl LineItemStatus {
    /// The item status for a text sent without a code (clinical detail `itemStatus`).
    pub fn from_text(text: &str) -> Option<Self> {
        use LineItemStatus::*;
        let status = match fold(text).as_str() {
            "itemfullydispensed" | "dispensed" => FullyDispensed,
            "itemnotdispensed" | "notdispensed" => NotDispensed,
            "itemdispensedpartial" | "dispensedpartial" | "partiallydispensed" => {
                PartiallyDispensed
            }
            "itemnotdispensedowing" | "notdispensedowing" | "owing" => NotDispensedOwing,
            "itemcancelled" | "cancelled" => Cancelled,
            "itemexpired" | "expired" => Expired,
            "itemtobedispensed" | "tobedispensed" => ToBeDispensed,
            "itemwithdispenser" | "withdispenser" => WithDispenser,
            _ => return None,
        };
        Some(status)
    }
}

impl TreatmentType {
    /// The treatment type for a text sent without a code (the clinical shapes send
    /// "Acute Prescription", "Repeat Prescribing", "Repeat Dispensing Prescription", …).
    pub fn from_text(text: &str) -> Option<Self> {
        let folded = fold(text);
        let folded = folded
            .strip_suffix("prescription")
            .unwrap_or(folded.as_str());
        match folded {
            "acute" | "acuteprescribing" => Some(TreatmentType::Acute),
            "repeat" | "repeatprescribing" => Some(TreatmentType::Repeat),
            "repeatdispensing" | "erd" | "electronicrepeatdispensing" => {
                Some(TreatmentType::RepeatDispensing)
            }
            _ => None,
        }
    }
}

impl EpsVersion {
    /// Accepts the wire's `R1`/`R2` and the search filter's `1`/`2`, any case.
    pub fn from_user(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "R1" | "1" => Some(EpsVersion::R1),
            "R2" | "2" => Some(EpsVersion::R2),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for status in PrescriptionStatus::KNOWN {
            assert_eq!(&PrescriptionStatus::from_code(status.code()), status);
        }
        assert_eq!(PrescriptionStatus::KNOWN.len(), 13);
        assert_eq!(LineItemStatus::KNOWN.len(), 8);
        assert_eq!(
            PrescriptionStatus::from_code(" 0042 "),
            PrescriptionStatus::Unknown("0042".into())
        );
        assert_eq!(PrescriptionStatus::Unknown("0042".into()).code(), "0042");
        assert_eq!(
            serde_json::to_string(&LineItemStatus::from_code("0008")).unwrap(),
            "\"0008\""
        );
    }

    #[test]
    fn groups_follow_the_spec_table() {
        use PrescriptionStatus as S;
        let current = ["0001", "0002", "0003", "0005", "0006"];
        let past = ["0004", "0007", "0008", "0009"];
        let future = ["0000", "9000", "9001", "9005"];
        for (codes, group) in [
            (&current[..], StatusGroup::Current),
            (&past[..], StatusGroup::Past),
            (&future[..], StatusGroup::Future),
        ] {
            for code in codes {
                assert_eq!(S::from_code(code).group(), Some(group), "{code}");
            }
        }
        assert_eq!(S::from_code("1234").group(), None);
    }

    #[test]
    fn texts_map_to_codes_whatever_their_case_and_punctuation() {
        assert_eq!(
            PrescriptionStatus::from_text("With dispenser active"),
            Some(PrescriptionStatus::WithDispenserActive)
        );
        assert_eq!(
            PrescriptionStatus::from_text("No-Claimed"),
            Some(PrescriptionStatus::NoClaimed)
        );
        assert_eq!(PrescriptionStatus::from_text("Lost in the post"), None);
        for (text, expected) in [
            ("Acute Prescription", TreatmentType::Acute),
            ("Acute Prescribing", TreatmentType::Acute),
            ("Repeat Prescribing", TreatmentType::Repeat),
            (
                "Repeat Dispensing Prescription",
                TreatmentType::RepeatDispensing,
            ),
        ] {
            assert_eq!(TreatmentType::from_text(text), Some(expected), "{text}");
        }
        assert_eq!(
            LineItemStatus::from_text("Item not dispensed owing"),
            Some(LineItemStatus::NotDispensedOwing)
        );
        assert_eq!(EpsVersion::from_user("2"), Some(EpsVersion::R2));
        assert_eq!(EpsVersion::from_user("r1"), Some(EpsVersion::R1));
        assert_eq!(EpsVersion::from_user("3"), None);
    }
}
