//! How an experiment's results were made: the command, the caseflow build, and for every
//! scenario involved its `output::Provenance` (name, path, SHA-256 of its text, master seed,
//! run indices); written as `provenance.toml` beside the results and as attributes of their
//! HDF5 file, whose `/provenance` group holds each scenario's full text.
//!
//! The file is serialised with serde (`toml::to_string`), so it reads back as TOML without a
//! hand-written parser. It holds no timestamp: the same experiment gives the same file.

use serde::Serialize;

use crate::output::{CRATE_VERSION, GIT_REVISION, Provenance};

/// One scenario of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioRecord {
    /// What the scenario is in the experiment: `base`, `alternative`, `base scenario`...
    pub role: String,
    pub name: String,
    pub path: String,
    pub sha256: String,
    pub master_seed: u64,
    pub run_indices: Vec<u64>,
}

impl ScenarioRecord {
    pub fn new(role: &str, prov: &Provenance) -> ScenarioRecord {
        ScenarioRecord {
            role: role.to_string(),
            name: prov.scenario_name.clone(),
            path: prov.scenario_path.clone(),
            sha256: prov.scenario_sha256(),
            master_seed: prov.master_seed,
            run_indices: prov.run_indices.clone(),
        }
    }
}

/// The provenance of an experiment's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// `diff`, `sweep`, `sensitivity`, `attribute`.
    pub command: String,
    pub crate_version: String,
    pub git_revision: String,
    pub command_line: String,
    /// False when interrupted: the results cover the finished runs only.
    pub complete: bool,
    /// Settings of the experiment, as `name = value` text (e.g. `interval = "90% t"`).
    pub settings: Vec<(String, String)>,
    pub scenario: Vec<ScenarioRecord>,
    /// Files written beside this one.
    pub files: Vec<String>,
}

impl Record {
    pub fn new(command: &str, command_line: &str) -> Record {
        Record {
            command: command.to_string(),
            crate_version: CRATE_VERSION.to_string(),
            git_revision: GIT_REVISION.to_string(),
            command_line: command_line.to_string(),
            complete: true,
            settings: Vec::new(),
            scenario: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Adds a setting.
    pub fn set(&mut self, name: &str, value: impl ToString) {
        self.settings.push((name.to_string(), value.to_string()));
    }

    /// The text of `provenance.toml`.
    pub fn toml(&self) -> String {
        #[derive(Serialize)]
        struct File<'a> {
            command: &'a str,
            crate_version: &'a str,
            git_revision: &'a str,
            command_line: &'a str,
            complete: bool,
            settings: std::collections::BTreeMap<&'a str, &'a str>,
            files: &'a [String],
            scenario: &'a [ScenarioRecord],
        }
        let file = File {
            command: &self.command,
            crate_version: &self.crate_version,
            git_revision: &self.git_revision,
            command_line: &self.command_line,
            complete: self.complete,
            settings: self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            files: &self.files,
            scenario: &self.scenario,
        };
        let body = toml::to_string(&file).unwrap_or_else(|e| format!("# provenance could not be written: {e}\n"));
        format!(
            "# How the results in this directory were made (caseflow {}). Each scenario's full text is\n\
             # in the HDF5 file beside this one, under /provenance.\n\n{body}",
            self.crate_version
        )
    }

    /// The provenance as string attributes for an HDF5 file's root.
    pub fn h5_attrs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("kind".to_string(), format!("caseflow {}", self.command)),
            ("crate_version".to_string(), self.crate_version.clone()),
            ("git_revision".to_string(), self.git_revision.clone()),
            ("command_line".to_string(), self.command_line.clone()),
            ("complete".to_string(), self.complete.to_string()),
        ];
        for (k, v) in &self.settings {
            out.push((k.clone(), v.clone()));
        }
        for s in &self.scenario {
            let role = s.role.replace(' ', "_");
            out.push((format!("{role}_scenario_name"), s.name.clone()));
            out.push((format!("{role}_scenario_path"), s.path.clone()));
            out.push((format!("{role}_scenario_sha256"), s.sha256.clone()));
            out.push((format!("{role}_master_seed"), s.master_seed.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_toml_reads_back() {
        let prov = Provenance {
            scenario_name: "tiny".into(),
            scenario_path: "t.toml".into(),
            scenario_text: "abc".into(),
            master_seed: 3,
            run_indices: vec![0, 1],
            command_line: "caseflow diff".into(),
            complete: true,
            shard: None,
            ensemble: None,
        };
        let mut r = Record::new("diff", "caseflow diff a b");
        r.set("interval", "90% Student t");
        r.scenario.push(ScenarioRecord::new("base", &prov));
        r.files = vec!["diff.csv".into()];
        let text = r.toml();
        let back: toml::Table = text.parse().unwrap();
        assert_eq!(back["command"].as_str(), Some("diff"));
        assert_eq!(back["scenario"][0]["sha256"].as_str(), Some(prov.scenario_sha256().as_str()));
        assert_eq!(back["settings"]["interval"].as_str(), Some("90% Student t"));
        assert!(r.h5_attrs().iter().any(|(k, v)| k == "base_scenario_sha256" && v.len() == 64));
    }
}
