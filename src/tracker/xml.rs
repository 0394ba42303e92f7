//! Naming what a markup body is (HTML gateway page, SOAP fault, HL7 acknowledgement, other
//! XML) so the message can say what came back instead of the Tracker's JSON.
//!
//! Entities are never expanded: references to entities a document declares are kept as
//! their literal `&name;` text, so an entity bomb costs nothing. Only the five predefined
//! entities and character references are resolved.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use super::error::BodyKind;

/// Longest text kept from any element, in characters.
const MAX_TEXT: usize = 200;
/// Events read before giving up on finding anything more (the interesting parts of
/// gateway pages and faults come early).
const MAX_EVENTS: usize = 100_000;
/// Element nesting tracked; deeper elements are read but not tracked.
const MAX_STACK: usize = 256;

/// Which text we are collecting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    Title,
    Heading,
    FaultCode,
    FaultReason,
    AckText,
}

#[derive(Default)]
struct Findings {
    root: Option<String>,
    html: bool,
    fault: bool,
    acknowledgement: bool,
    title: Option<String>,
    heading: Option<String>,
    fault_code: Option<String>,
    fault_reason: Option<String>,
    ack_code: Option<String>,
    ack_text: Option<String>,
}

impl Findings {
    fn slot(&mut self, capture: Capture) -> &mut Option<String> {
        match capture {
            Capture::Title => &mut self.title,
            Capture::Heading => &mut self.heading,
            Capture::FaultCode => &mut self.fault_code,
            Capture::FaultReason => &mut self.fault_reason,
            Capture::AckText => &mut self.ack_text,
        }
    }

    fn append(&mut self, capture: Capture, text: &str) {
        let slot = self.slot(capture);
        let current = slot.get_or_insert_with(String::new);
        let room = MAX_TEXT.saturating_sub(current.chars().count());
        if !current.is_empty() && !text.is_empty() {
            current.push(' ');
        }
        current.extend(text.chars().take(room));
    }

    fn into_kind(self) -> BodyKind {
        let clean = |s: Option<String>| {
            s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|s| !s.is_empty())
        };
        if self.fault {
            BodyKind::SoapFault {
                code: clean(self.fault_code),
                reason: clean(self.fault_reason),
            }
        } else if self.acknowledgement {
            BodyKind::Hl7Acknowledgement {
                code: clean(self.ack_code),
                text: clean(self.ack_text),
            }
        } else if self.html {
            BodyKind::Html {
                title: clean(self.title).or(clean(self.heading)),
            }
        } else {
            BodyKind::Xml {
                root: self.root.unwrap_or_else(|| "?".to_owned()),
            }
        }
    }
}

/// Describes a body that starts with `<`. Never fails: malformed markup is described as
/// far as it could be read.
pub fn describe(text: &str) -> BodyKind {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.trim_text(true);

    let mut found = Findings::default();
    let mut stack: Vec<String> = Vec::new();
    let mut capture: Option<Capture> = None;
    for _ in 0..MAX_EVENTS {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::DocType(doctype) => {
                let doctype = String::from_utf8_lossy(doctype.as_ref()).to_ascii_lowercase();
                if doctype.trim_start().starts_with("html") {
                    found.html = true;
                }
            }
            Event::Start(start) => {
                let name = local_name(&start);
                capture = start_element(&mut found, &stack, &name, &start);
                if stack.len() < MAX_STACK {
                    stack.push(name);
                }
            }
            Event::Empty(start) => {
                let name = local_name(&start);
                start_element(&mut found, &stack, &name, &start);
            }
            Event::End(_) => {
                stack.pop();
                capture = None;
            }
            Event::Text(text) => {
                if let Some(target) = capture {
                    let text = text.decode().unwrap_or_default();
                    found.append(target, &text);
                }
            }
            Event::CData(data) => {
                if let Some(target) = capture {
                    found.append(target, &String::from_utf8_lossy(data.as_ref()));
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(target) = capture {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        _ => {
                            let name = String::from_utf8_lossy(reference.as_ref()).into_owned();
                            match resolve_predefined_entity(&name) {
                                Some(value) => value.to_owned(),
                                // Declared entities are shown, never expanded.
                                None => format!("&{name};"),
                            }
                        }
                    };
                    found.append(target, &resolved);
                }
            }
            _ => {}
        }
    }
    found.into_kind()
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).to_ascii_lowercase()
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| {
            a.key
                .local_name()
                .as_ref()
                .eq_ignore_ascii_case(name.as_bytes())
        })
        .map(|a| match a.unescape_value() {
            Ok(value) => value.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        })
}

/// Records what an opening tag tells us and says which text, if any, to collect next.
fn start_element(
    found: &mut Findings,
    stack: &[String],
    name: &str,
    start: &BytesStart<'_>,
) -> Option<Capture> {
    if found.root.is_none() {
        found.root = Some(String::from_utf8_lossy(start.name().as_ref()).into_owned());
        if name == "html" {
            found.html = true;
        }
    }
    let inside = |ancestor: &str| stack.iter().any(|n| n == ancestor);
    let parent = stack.last().map(String::as_str);
    match name {
        "title" if !found.fault && found.title.is_none() => {
            found.html = true;
            Some(Capture::Title)
        }
        "h1" if found.heading.is_none() => Some(Capture::Heading),
        "fault" => {
            found.fault = true;
            None
        }
        // SOAP 1.1 `faultcode` / `faultstring`; SOAP 1.2 `Code/Value` / `Reason/Text`.
        "faultcode" if found.fault_code.is_none() => Some(Capture::FaultCode),
        "value" if inside("fault") && parent == Some("code") && found.fault_code.is_none() => {
            Some(Capture::FaultCode)
        }
        "faultstring" if found.fault_reason.is_none() => Some(Capture::FaultReason),
        "text" if inside("fault") && parent == Some("reason") && found.fault_reason.is_none() => {
            Some(Capture::FaultReason)
        }
        "acknowledgement" => {
            found.acknowledgement = true;
            if found.ack_code.is_none() {
                found.ack_code = attribute(start, "typeCode");
            }
            None
        }
        "code" if inside("acknowledgementdetail") => {
            if found.ack_text.is_none() {
                let code = attribute(start, "code");
                let display = attribute(start, "displayName");
                found.ack_text = match (code, display) {
                    (Some(code), Some(display)) => Some(format!("{code} {display}")),
                    (code, display) => display.or(code),
                };
            }
            None
        }
        "text" if inside("acknowledgementdetail") && found.ack_text.is_none() => {
            Some(Capture::AckText)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_gateway_page() {
        let page = "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>502 Bad Gateway</title>\
                    </head><body><center><h1>502 Bad Gateway</h1></center><hr></body></html>";
        assert_eq!(
            describe(page),
            BodyKind::Html {
                title: Some("502 Bad Gateway".into())
            }
        );
    }

    #[test]
    fn soap_1_1_and_1_2_faults() {
        let soap11 = r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>System failure &amp; retry</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        assert_eq!(
            describe(soap11),
            BodyKind::SoapFault {
                code: Some("soap:Server".into()),
                reason: Some("System failure & retry".into())
            }
        );
        let soap12 = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code><env:Reason><env:Text xml:lang="en">Bad ASID</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"#;
        assert_eq!(
            describe(soap12),
            BodyKind::SoapFault {
                code: Some("env:Sender".into()),
                reason: Some("Bad ASID".into())
            }
        );
    }

    #[test]
    fn hl7_acknowledgement() {
        let ack = r#"<MCCI_IN010000UK13 xmlns="urn:hl7-org:v3"><acknowledgement typeCode="AE"><acknowledgementDetail typeCode="ER"><code code="5000" displayName="Unable to process message"/></acknowledgementDetail></acknowledgement></MCCI_IN010000UK13>"#;
        assert_eq!(
            describe(ack),
            BodyKind::Hl7Acknowledgement {
                code: Some("AE".into()),
                text: Some("5000 Unable to process message".into())
            }
        );
    }

    #[test]
    fn entities_are_never_expanded() {
        let mut bomb = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for level in 1..10 {
            bomb.push_str(&format!(
                "<!ENTITY lol{level} \"{}\">",
                format!(
                    "&lol{};",
                    if level == 1 {
                        String::new()
                    } else {
                        (level - 1).to_string()
                    }
                )
                .repeat(10)
            ));
        }
        bomb.push_str("]><lolz><title>&lol9;</title></lolz>");
        match describe(&bomb) {
            BodyKind::Html { title } => assert_eq!(title.as_deref(), Some("&lol9;")),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            describe("<lolz>&lol9;</lolz>"),
            BodyKind::Xml {
                root: "lolz".into()
            }
        );
    }

    #[test]
    fn malformed_markup_is_described_as_far_as_it_goes() {
        assert_eq!(
            describe("<html><title>Oops"),
            BodyKind::Html {
                title: Some("Oops".into())
            }
        );
        assert_eq!(describe("<"), BodyKind::Xml { root: "?".into() });
    }
}
