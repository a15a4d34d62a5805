//! The workshop templates offered when creating rooms, read from a directory at start.
//!
//! A broken template is reported (file, field, what is wrong) and left out;
//! it never stops the server. Rooms keep a copy of the template they were
//! created from, so editing a file later changes only new rooms.

use std::collections::BTreeMap;
use std::path::Path;

use touchpoint_core::template::{Template, parse_template};

/// Every valid template in `dir`, by id.
pub fn load(dir: &Path) -> BTreeMap<String, Template> {
    let mut templates = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "no workshop templates: the directory cannot be read");
            return templates;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let file = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let template = match std::fs::read_to_string(&path) {
            Ok(source) => parse_template(&source, &file),
            Err(error) => {
                tracing::warn!(%file, %error, "workshop template cannot be read");
                continue;
            }
        };
        match template {
            Ok(template) if templates.contains_key(&template.id) => {
                tracing::warn!(%file, id = %template.id, "workshop template left out: another file has the same id");
            }
            Ok(template) => {
                templates.insert(template.id.clone(), template);
            }
            Err(error) => tracing::warn!(%error, "workshop template left out"),
        }
    }
    tracing::info!(n_templates = templates.len(), dir = %dir.display(), "workshop templates loaded");
    templates
}
