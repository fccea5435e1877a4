//! The repository walk: every kustomization file and every YAML file under the root,
//! skipping `.git` and whatever git ignores (nested `.gitignore` files, `.git/info/exclude`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use crate::paths;

/// What the walk found, sorted so reports and cache keys do not depend on directory order.
#[derive(Debug, Default)]
pub struct Inventory {
    pub kustomization_files: Vec<PathBuf>,
    pub yaml_files: Vec<PathBuf>,
    /// `.sourceignore` files (what source-controller leaves out of an artifact).
    pub sourceignore_files: Vec<PathBuf>,
    /// YAML files under a Helm chart's `templates/` (a directory next to `Chart.yaml`):
    /// Go templates that helm-controller renders, not YAML until then.
    pub helm_templates: BTreeSet<PathBuf>,
}

/// Walks `root` (inside the repository whose top level is `repo_root`).
pub fn walk(root: &Path, repo_root: &Path) -> Inventory {
    let mut ignores = Ignores::new(repo_root);
    let mut inventory = Inventory::default();
    let mut charts = BTreeSet::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_dir();
            if is_dir && entry.file_name() == ".git" {
                return false;
            }
            entry.depth() == 0 || !ignores.is_ignored(entry.path(), is_dir)
        });
    for entry in walker.flatten() {
        if !entry.file_type().is_file() && !entry.file_type().is_symlink() {
            continue;
        }
        let path = entry.into_path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == ".sourceignore" {
            inventory.sourceignore_files.push(path.clone());
        }
        if paths::KUSTOMIZATION_FILES.contains(&name) {
            inventory.kustomization_files.push(path.clone());
        }
        if name == "Chart.yaml"
            && let Some(chart) = path.parent()
        {
            charts.insert(chart.to_path_buf());
        }
        if paths::is_yaml(&path) {
            inventory.yaml_files.push(path);
        }
    }
    if !charts.is_empty() {
        inventory.helm_templates = inventory
            .yaml_files
            .iter()
            .filter(|file| {
                file.ancestors().skip(1).any(|dir| {
                    dir.file_name().is_some_and(|n| n == "templates")
                        && dir.parent().is_some_and(|chart| charts.contains(chart))
                })
            })
            .cloned()
            .collect();
    }
    inventory
}

/// `.gitignore` matchers per directory, loaded once when the walk first needs them.
struct Ignores {
    repo_root: PathBuf,
    per_dir: HashMap<PathBuf, Option<Gitignore>>,
    info_exclude: Option<Gitignore>,
}

impl Ignores {
    fn new(repo_root: &Path) -> Self {
        let exclude = repo_root.join(".git/info/exclude");
        let info_exclude = exclude.is_file().then(|| {
            let mut builder = GitignoreBuilder::new(repo_root);
            builder.add(&exclude);
            builder.build().ok()
        });
        Ignores {
            repo_root: repo_root.to_path_buf(),
            per_dir: HashMap::new(),
            info_exclude: info_exclude.flatten(),
        }
    }

    /// git's precedence: the deepest `.gitignore` with a matching rule decides, then
    /// `.git/info/exclude`. A path outside the repository is never ignored.
    fn is_ignored(&mut self, path: &Path, is_dir: bool) -> bool {
        let Ok(relative) = path.strip_prefix(&self.repo_root) else {
            return false;
        };
        let mut dirs: Vec<PathBuf> = relative
            .ancestors()
            .skip(1)
            .map(|a| self.repo_root.join(a))
            .collect();
        // Deepest first.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            let matcher = self
                .per_dir
                .entry(dir.clone())
                .or_insert_with(|| load_gitignore(&dir));
            if let Some(matcher) = matcher {
                let matched = matcher.matched(path, is_dir);
                if matched.is_ignore() {
                    return true;
                }
                if matched.is_whitelist() {
                    return false;
                }
            }
        }
        self.info_exclude
            .as_ref()
            .is_some_and(|m| m.matched(path, is_dir).is_ignore())
    }
}

fn load_gitignore(dir: &Path) -> Option<Gitignore> {
    let file = dir.join(".gitignore");
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    builder.add(&file);
    builder.build().ok()
}
