//! Kubernetes label selectors (`matchLabels` + `matchExpressions`), as
//! `metav1.LabelSelectorAsSelector` evaluates them.

use std::collections::BTreeMap;

use guardrails_yaml::Node;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// A parsed selector. An empty selector selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub match_labels: Labels,
    pub expressions: Vec<Requirement>,
    /// An operator this module does not know: Kubernetes rejects the selector, so callers
    /// must not conclude anything from it.
    pub unknown: bool,
}

impl Selector {
    pub fn from_node(node: &Node) -> Selector {
        let mut selector = Selector {
            match_labels: labels(node.get("matchLabels")),
            ..Selector::default()
        };
        for expr in node
            .get("matchExpressions")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            let Some(key) = expr.get("key").and_then(Node::scalar_text) else {
                selector.unknown = true;
                continue;
            };
            let operator = match expr.str_at(&["operator"]) {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                _ => {
                    selector.unknown = true;
                    continue;
                }
            };
            let values = expr
                .get("values")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::scalar_text)
                .collect();
            selector.expressions.push(Requirement {
                key,
                operator,
                values,
            });
        }
        selector
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator {
                    Operator::In => value.is_some_and(|v| r.values.contains(v)),
                    Operator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }

    /// `key=value, key in (a,b)` for messages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.expressions {
            parts.push(match r.operator {
                Operator::In => format!("{} in ({})", r.key, r.values.join(",")),
                Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            });
        }
        if parts.is_empty() {
            "everything".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A string map (`labels`, `matchLabels`); scalar values are read as Kubernetes would
/// after YAML decoding them into strings.
pub fn labels(node: Option<&Node>) -> Labels {
    node.and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text()?)))
        .collect()
}

pub fn describe_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "no labels".to_owned();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
