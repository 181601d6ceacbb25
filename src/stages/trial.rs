//! Public-prosecution trials. A case is heard by a single judge or, where the charge is within
//! jury jurisdiction and the accused asks, by a jury. Before a verdict the parties may
//! reconcile (the judge closes the case, saving the work of a sentence). A judge then chooses
//! among conviction, acquittal, closure on exonerating grounds, return for supplementary
//! investigation and return to the procurator, weighing her workload, the reversal risk she
//! believes each option carries (sharper under monitoring), the evidence (as far as her
//! independence lets it count), and campaigns. A jury weighs only the evidence.
//!
//! Between periods judges learn: their workloads, how often the appellate courts overturn
//! their acquittals and convictions, and (province by province) how readily their colleagues
//! release reconciled defendants.

use super::appeal::{Appellant, procurator_appeal_chance};
use super::common::{FORBIDDEN, REFERENCE_WEAKNESS};
use super::common::{bargain_of_logs, budget_spent, pick_in_word};
use super::investigation::complaint_decision;
use super::law::{reconciliation_eligibility, repentance_eligible};
use crate::engine::agents::{Risk, VerdictKind, VerdictRecord, VerdictRisks, prior_risks};
use crate::engine::dist::{below_logistic, choose, log_add_exp, logistic};
use crate::engine::{Case, ReleasesSeen, Stage, Verdict, World, slot};
use crate::record::event::{Exit, Grounds, Queue, Return, Torture};
use crate::record::trace::{Decider, Decision, Role, Term, Tracer};
use crate::record::{Event, Terminal};
use crate::scenario::{DAYS_PER_YEAR, Eligibility, Incentives, Monitoring, Rules, Scenario, Traits, TrialBehaviour};

/// The `judge_uid` of a case whose verdict no judge answers for (a jury's).
const NO_JUDGE: u64 = u64::MAX;

/// What a trial ends in (a jury only convicts or acquits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ruling {
    Convict,
    Acquit,
    CloseExonerating,
    Return(Return),
}

impl Ruling {
    /// A judge's options, in the order of her utilities.
    const OPTIONS: [Ruling; 5] = [
        Ruling::Convict,
        Ruling::Acquit,
        Ruling::CloseExonerating,
        Ruling::Return(Return::Supplementary),
        Ruling::Return(Return::ToProcurator),
    ];
    const NAMES: &[&str] = &[
        "convict",
        "acquit",
        "close on exonerating grounds",
        "return for supplementary investigation",
        "return to the procurator",
    ];

    /// The verdict a ruling gives, if it gives one (closures and returns do not).
    const fn verdict(self) -> Option<Verdict> {
        match self {
            Ruling::Convict => Some(Verdict::Convicted),
            Ruling::Acquit => Some(Verdict::Acquitted),
            Ruling::CloseExonerating | Ruling::Return(_) => None,
        }
    }

    /// The ruling's place in `OPTIONS` (and in the utilities).
    const fn index(self) -> usize {
        match self {
            Ruling::Convict => 0,
            Ruling::Acquit => 1,
            Ruling::CloseExonerating => 2,
            Ruling::Return(Return::Supplementary) => 3,
            Ruling::Return(Return::ToProcurator) => 4,
        }
    }
}

impl<T: Tracer> World<'_, T> {
    pub(crate) fn trial(&mut self, index: u32) {
        let s = self.s;
        let b = &s.behaviour.trial;
        let rules = self.rules();
        let inc = self.incentives();
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let u = |k: usize| c.u(k);
        let p = c.province as usize;
        let subject = c.subject();
        let judge_index = pick_in_word(&self.agents.judge_rosters[p], c.word(slot::JUDGE));
        if budget_spent(
            self.agents.judges[judge_index as usize].trials_decided(),
            b.judge_capacity * b.judge_ceiling,
            s.behaviour.learning.period_days,
        ) {
            return self.postpone(index, Stage::Trial, Queue::Trial);
        }

        // Defence: an effective defence contests weak proof and coerced confessions. Lawyers
        // are few; one whose pay depends on law-enforcement approval rarely contests.
        let coverage = (self.staff().defence_lawyers as f64 * b.defence_cases_per_lawyer
            / self.defence_demand.expected())
        .min(1.0);
        let contests = if rules.defence_independent { 1.0 } else { b.dependent_defence_contests };
        let defended = u(slot::DEFENCE) < coverage * contests;
        let mut evidence = c.evidence;
        if defended {
            evidence -= b.defence_effect;
            if c.coerced && rules.police_confessions_admissible {
                evidence -= s.behaviour.investigation.confession_evidence;
            }
        }
        let weakness = (1.0 - evidence).clamp(0.0, 1.0);
        if c.coerced {
            let tb = &s.behaviour.torture;
            // `complaint_chance` of the scenario's intercept, kept by gravity (`Prepared`).
            let (chance, draw) = (self.prep.complaint_trial[c.gravity.index()], u(slot::TRIAL_COMPLAINT));
            let accused = Decider { role: Role::Defendant, uid: None, province: c.province };
            self.trace.decision(self.calendar.day, c.id, move || {
                complaint_decision("trial", tb, tb.complain_trial_logit, c.gravity, accused, chance, draw)
            });
            if draw < chance {
                self.record(&subject, Event::TortureComplaint(Torture::RaisedAtTrial));
            }
        }

        // Where the law makes jury trial compulsory, no one has to ask. Otherwise the accused
        // asks now, or (`jury_request_when_sent`) he asked as his case was sent to court and
        // the case must still be within the jurisdiction today: then a jurisdiction that
        // narrows acts at once, one that widens only for cases sent to court after it.
        let rule_words = self.rule_words();
        let compulsory = (rules.jury_death_compulsory && c.death)
            || rule_words.jury_compulsory[c.gravity.index()].holds(c.word(slot::JURY_ELIGIBLE));
        let jury = compulsory
            || if b.jury_request_when_sent {
                c.jury_requested && self.within_jury_jurisdiction(c)
            } else {
                self.asks_for_jury(c)
            };

        let judge = &self.agents.judges[judge_index as usize];
        let judge_uid = judge.uid;
        let load = judge.load / b.judge_capacity * inc.trial_judge.caseload;
        // What a conviction and an acquittal would cost her career (`career_costs`).
        let career = self.career_costs(judge_index as usize, true);
        let conscience = b.conscience * judge.independence;
        let province = &self.provinces[p];
        let reconciliation_shift = province.reconciliation_shift;
        // The tie runs through the procurator: close judges acquit less, the more so the fewer
        // outside checks an acquittal faces today.
        // `s.traits.local_pull(checks)`, tabulated (`acquittal_checks` is at most the count).
        let acquittal_shift =
            -self.prep.acquittal_pull[acquittal_checks(&s.traits, rules, inc) as usize] * province.closeness;
        let by_judge = Decider { role: Role::Judge, uid: Some(judge_uid), province: c.province };

        // Reconciliation at trial. Where the law makes release mandatory the judge must close;
        // where it is discretionary she weighs the saved work against the procurator's
        // opposition (a release costs him a conviction) and what comes of crossing him.
        if !jury {
            // What a non-rehabilitative closure (on reconciliation or on repentance) weighs for
            // her: the work a sentence would take, and crossing the procurator, who opposes a
            // closure that costs him a conviction unless his closures count as much.
            let opposition = (inc.procurator.convictions - inc.procurator.nonrehab_closures).max(0.0);
            let saved_work = (b.effort_sentence - b.effort_closure) * load;
            let crossing = -b.discretionary_release_cost * opposition;
            let eligible = reconciliation_eligibility(s, rules, c);
            // At the reference load (1) the pressure is `official_pressure`; the bargain under
            // the local network's pull on it is screened (`bargain_of_logs`).
            let pressure = b.official_pressure * (1.0 + load).min(b.pressure_load_cap) / 2.0;
            if eligible != Eligibility::Banned
                && bargain_of_logs(c.ln_means_and_demand(&s.crime), pressure, reconciliation_shift)
            {
                const RELEASE: &[&str; 2] = &["release on reconciliation", "go on to a decision"];
                let close = match eligible {
                    Eligibility::Mandatory => {
                        self.trace.decision(self.calendar.day, c.id, move || {
                            Decision::forced("trial", "reconciliation", by_judge, RELEASE, 0)
                        });
                        true
                    }
                    _ => {
                        let x = saved_work
                            + crossing
                            + b.release_practice_weight * self.provinces[p].release_practice
                            + reconciliation_shift;
                        let draw = u(slot::TRIAL_RECONCILE_JUDGE);
                        let release_practice = self.provinces[p].release_practice;
                        self.trace.decision(self.calendar.day, c.id, move || {
                            Decision::chance("trial", "reconciliation", by_judge, RELEASE, logistic(x), draw)
                                .with_terms(vec![
                                    Term::weighted(
                                        0,
                                        "the work a sentence would take (her caseload)",
                                        "trial_judge.caseload",
                                        inc.trial_judge.caseload,
                                        saved_work,
                                    ),
                                    Term::weighted(
                                        0,
                                        "the procurator's opposition (a release costs him a conviction)",
                                        "procurator.convictions",
                                        inc.procurator.convictions,
                                        crossing,
                                    ),
                                    Term::part(
                                        0,
                                        "what colleagues in the province do",
                                        b.release_practice_weight * release_practice,
                                    ),
                                    Term::part(0, "the province's leaning", reconciliation_shift),
                                ])
                        });
                        below_logistic(draw, x)
                    }
                };
                // Colleagues see what judges do with reconciled cases, mandatory releases too.
                self.provinces[p].releases_seen.reconciled += 1;
                self.provinces[p].releases_seen.closed += close as u32;
                if close {
                    self.agents.judges[judge_index as usize].decided += 1;
                    self.record(&subject, Event::ClosedAtTrial(Grounds::Reconciled));
                    self.leave_detention(index, Exit::Closure);
                    return self.finish(index, Terminal::ClosedReconciledTrial);
                }
            }
            // Other non-rehabilitative grounds: active repentance (where the law allows it). The
            // judge weighs it as she weighs a discretionary release on reconciliation: the work a
            // sentence would take against the procurator's opposition (a closure costs him a
            // conviction until his closures count as much), each at the same rate.
            let repents = repentance_eligible(s, rules, c) && {
                let draw = u(slot::OTHER_NONREHAB);
                let x = b.other_nonrehab_logit + saved_work + crossing;
                self.trace.decision(self.calendar.day, c.id, move || {
                    let options = &["close on active repentance", "go on to a decision"];
                    Decision::chance("trial", "active repentance", by_judge, options, logistic(x), draw).with_terms(
                        vec![
                            Term::part(0, "judges' leaning to close on repentance", b.other_nonrehab_logit),
                            Term::weighted(
                                0,
                                "the work a sentence would take (her caseload)",
                                "trial_judge.caseload",
                                inc.trial_judge.caseload,
                                saved_work,
                            ),
                            Term::weighted(
                                0,
                                "the procurator's opposition (a closure costs him a conviction)",
                                "procurator.convictions",
                                inc.procurator.convictions,
                                crossing,
                            ),
                        ],
                    )
                });
                below_logistic(draw, x)
            };
            if repents {
                self.agents.judges[judge_index as usize].decided += 1;
                self.record(&subject, Event::ClosedAtTrial(Grounds::Repentance));
                self.leave_detention(index, Exit::Closure);
                return self.finish(index, Terminal::ClosedOtherNonrehabTrial);
            }
        }

        let ruling = if jury {
            // Ten lay jurors weigh the evidence; the judge can shift the blame for an
            // acquittal onto them, so career risk does not enter.
            // The Procuracy answers the juries' known acquittal rate with harder prosecution.
            let resistance = b.jury_resistance * inc.procurator.acquittals * self.jury_news.known_rate;
            let x = b.jury_acquit_logit + b.jury_weakness_slope * (weakness - REFERENCE_WEAKNESS) - resistance;
            let (chance, draw) = (logistic(x), u(slot::JURY_DECIDE));
            let jurors = Decider { role: Role::Jury, uid: None, province: c.province };
            let jury_acquit_logit = b.jury_acquit_logit;
            let weakness_part = b.jury_weakness_slope * (weakness - REFERENCE_WEAKNESS);
            self.trace.decision(self.calendar.day, c.id, move || {
                Decision::chance("trial", "verdict", jurors, &["acquit", "convict"], chance, draw).with_terms(vec![
                    Term::part(0, "jurors' leaning to acquit", jury_acquit_logit),
                    Term::part(0, "the weakness of the evidence", weakness_part),
                    Term::weighted(
                        0,
                        "harder prosecution, answering the juries' known acquittal rate",
                        "procurator.acquittals",
                        inc.procurator.acquittals,
                        -resistance,
                    ),
                ])
            });
            if draw < chance { Ruling::Acquit } else { Ruling::Convict }
        } else {
            let campaign = self.campaign_bonus(c.kind as usize, |cp| cp.judge_exonerate);
            let mut utility = [f64::NEG_INFINITY; 5];
            // The procurator fights an acquittal that counts against him: his accusations of
            // incompetence or venality are a cost of acquitting beyond its work and its risks.
            let pressure = b.procurator_pressure * inc.procurator.acquittals.max(0.0);
            utility[Ruling::Convict.index()] = -b.effort_sentence * load - career.conviction - conscience * weakness;
            utility[Ruling::Acquit.index()] =
                -b.effort_acquittal * load - career.acquittal - pressure + conscience * weakness + acquittal_shift;
            utility[Ruling::CloseExonerating.index()] = b.close_exonerating_constant + campaign + conscience * weakness
                - b.closure_scrutiny * (career.acquittal + pressure);
            let supplementary = b.return_supplementary_constant - b.effort_return * load + conscience * weakness;
            if rules.supplementary_investigation {
                utility[Ruling::Return(Return::Supplementary).index()] = supplementary;
                utility[Ruling::Return(Return::ToProcurator).index()] = b.return_to_procurator_constant;
            } else {
                // Banned, "the practice of returning cases continues": a judge who would have
                // sent the case for supplementary investigation returns it to the procurator
                // instead, as far as `returns_after_ban` says (that share of the option's
                // weight moves to the other return; the rest goes to the other options).
                utility[Ruling::Return(Return::ToProcurator).index()] =
                    log_add_exp(b.return_to_procurator_constant, supplementary + self.prep.returns_after_ban_ln);
            }
            let draw = u(slot::TRIAL_DECIDE);
            let choice = choose(&utility, draw);
            let supplementary_allowed = rules.supplementary_investigation;
            self.trace.decision(self.calendar.day, c.id, move || {
                let (caseload, reversals) = (inc.trial_judge.caseload, inc.trial_judge.reversals);
                let procurator_acquittals = inc.procurator.acquittals;
                let (convict, acquit, close) = (0, 1, 2);
                let mut terms = vec![
                    Term::weighted(
                        convict,
                        "the work of a sentence",
                        "trial_judge.caseload",
                        caseload,
                        -b.effort_sentence * load,
                    ),
                    Term::weighted(
                        convict,
                        "the appeals and reversals she expects a conviction to bring her career",
                        "trial_judge.reversals",
                        reversals,
                        -career.conviction,
                    ),
                    Term::part(convict, "her conscience, against convicting on weak evidence", -conscience * weakness),
                    Term::weighted(
                        acquit,
                        "the procurator's accusations against a judge who acquits",
                        "procurator.acquittals",
                        procurator_acquittals,
                        -pressure,
                    ),
                    Term::weighted(
                        acquit,
                        "the work of an acquittal",
                        "trial_judge.caseload",
                        caseload,
                        -b.effort_acquittal * load,
                    ),
                    Term::weighted(
                        acquit,
                        "the appeals and reversals she expects an acquittal to bring her career",
                        "trial_judge.reversals",
                        reversals,
                        -career.acquittal,
                    ),
                    Term::part(acquit, "her conscience, for acquitting on weak evidence", conscience * weakness),
                    Term::part(acquit, "the province's leaning", acquittal_shift),
                    Term::part(close, "closing on exonerating grounds, as such", b.close_exonerating_constant),
                    Term::part(close, "her conscience, for closing on weak evidence", conscience * weakness),
                    Term::weighted(
                        close,
                        "the scrutiny of an exonerating closure (a share of an acquittal's career costs)",
                        "trial_judge.reversals",
                        reversals,
                        -b.closure_scrutiny * career.acquittal,
                    ),
                    Term::weighted(
                        close,
                        "the procurator's accusations, in part",
                        "procurator.acquittals",
                        procurator_acquittals,
                        -b.closure_scrutiny * pressure,
                    ),
                ];
                if campaign != 0.0 {
                    terms.push(Term::weighted(
                        close,
                        "a campaign on this kind of crime",
                        "campaign.judge_exonerate",
                        campaign,
                        campaign,
                    ));
                }
                if supplementary_allowed {
                    let ret = Ruling::Return(Return::Supplementary).index();
                    terms.push(Term::weighted(
                        ret,
                        "the work of a return",
                        "trial_judge.caseload",
                        caseload,
                        -b.effort_return * load,
                    ));
                    terms.push(Term::part(ret, "her conscience, for returning a weak case", conscience * weakness));
                }
                Decision::logit("trial", "ruling", by_judge, Ruling::NAMES, &utility, draw, choice).with_terms(terms)
            });
            Ruling::OPTIONS[choice]
        };
        self.agents.judges[judge_index as usize].decided += 1;
        let c = &mut self.cases[index];
        c.judge = judge_index;
        // A jury's verdict is the jurors' (the judge shifts the blame onto them): its reversal
        // goes on no judge's record.
        c.judge_uid = if jury { NO_JUDGE } else { judge_uid };
        let procurator = c.procurator as usize;
        let n = subject.defendants as u32;
        if !jury && let Some(verdict) = ruling.verdict() {
            self.agents.judges[judge_index as usize].record.given(VerdictKind::of(true, verdict));
        }
        match ruling {
            Ruling::Convict => {
                if jury {
                    self.jury_news.tried_this_year += n;
                }
                self.record(&subject, Event::Convicted { jury });
                self.agents.procurators[procurator].trials.tried += n;
                self.sentence(index);
            }
            Ruling::Acquit => {
                self.record(&subject, Event::Acquitted { jury });
                if jury {
                    self.jury_news.tried_this_year += n;
                    self.jury_news.acquitted_this_year += n;
                }
                let proc = &mut self.agents.procurators[procurator];
                proc.trials.tried += n;
                proc.trials.acquitted += n;
                self.leave_detention(index, Exit::Closure);
                // Where the law lets them, procurators appeal acquittals, the more readily the
                // more an acquittal costs them.
                let chance = if rules.procurator_appeal_acquittals {
                    procurator_appeal_chance(s.behaviour.appeal.procurator_appeal_acquittal, inc.procurator.acquittals)
                } else {
                    FORBIDDEN
                };
                self.appeal_or_end(index, Verdict::Acquitted, Appellant::Procurator, chance);
            }
            Ruling::CloseExonerating => {
                self.record(&subject, Event::ClosedAtTrial(Grounds::Exonerating));
                self.leave_detention(index, Exit::Closure);
                self.finish(index, Terminal::ClosedExoneratingTrial);
            }
            Ruling::Return(to) => {
                self.record(&subject, Event::Returned(to));
                // The procurator brings back only some returned cases; the rest are dropped, which
                // counts as closing them: he weighs his convictions weight against his
                // exonerating-closures weight, and the case's evidence.
                let w = &inc.procurator;
                let indicator = b.supplementary_back_indicator * (w.convictions - w.exonerating_closures);
                let strength = self.cases[index].evidence;
                let evidence = b.supplementary_back_evidence * (REFERENCE_WEAKNESS - (1.0 - strength));
                let chance = logistic(b.supplementary_back_logit + indicator + evidence);
                let draw = self.cases[index].u(slot::SUPPLEMENTARY_BACK);
                let by = Decider {
                    role: Role::Procurator,
                    uid: Some(self.agents.procurators[procurator].uid),
                    province: subject.province,
                };
                self.trace.decision(self.calendar.day, subject.id, move || {
                    Decision::chance("trial", "bring a returned case back", by, &["bring back", "drop"], chance, draw)
                        .with_terms(vec![
                            Term::part(0, "procurators' leaning to bring a case back", b.supplementary_back_logit),
                            Term::weighted(
                                0,
                                "convictions against exonerating closures",
                                "procurator.convictions",
                                w.convictions,
                                indicator,
                            ),
                            Term::part(0, "the case's evidence", evidence),
                        ])
                });
                if draw < chance {
                    self.revisit(index);
                    // `exp_days_word(investigation.days_mean, word)`, mostly from a table.
                    let days = self.prep.investigation_days.days(self.cases[index].word(slot::INVESTIGATION_DAYS));
                    self.calendar.schedule(index, Stage::ProcuratorReview, days);
                } else {
                    self.leave_detention(index, Exit::Closure);
                    self.finish(index, Terminal::DroppedAfterReturn);
                }
            }
        }
    }

    /// Between periods: each province's release practice moves towards the share of
    /// reconciled cases its judges closed (mandatory releases included).
    pub(crate) fn learn_release_practice(&mut self) {
        let l = &self.s.behaviour.learning;
        for p in &mut self.provinces {
            let seen = p.releases_seen;
            if seen.reconciled > 0 {
                p.release_practice +=
                    l.practice_rate * (seen.closed as f64 / seen.reconciled as f64 - p.release_practice);
            }
            p.releases_seen = ReleasesSeen::default();
        }
    }

    /// What a conviction and an acquittal would cost judge `j`'s career now, for a public
    /// (`public`) or private case: for each, the appeal she expects to defend
    /// (`appeal_scrutiny`) and the reversal she expects (`reversal_penalty`), weighted by the
    /// stability-of-sentences weight in force and, under monitoring, by how likely a reversal
    /// is to be the one that marks her failing or dismisses her (`reversal_weight`).
    // Inlined into the day loop with `World::run_appointments` (see there why pinned).
    #[inline(always)]
    pub(crate) fn career_costs(&self, j: usize, public: bool) -> CareerCosts {
        let b = &self.s.behaviour.trial;
        let inc = self.incentives();
        let judge = &self.agents.judges[j];
        let w = inc.trial_judge.reversals;
        if w == 0.0 {
            return CareerCosts::default();
        }
        let acquittal = judge.risks.get(VerdictKind::of(public, Verdict::Acquitted));
        let conviction = judge.risks.get(VerdictKind::of(public, Verdict::Convicted));
        let weight = match &inc.monitoring {
            Some(m) => {
                let year_left = 1.0 - (self.calendar.day % DAYS_PER_YEAR) as f64 / DAYS_PER_YEAR as f64;
                let per_year = judge.load * conviction.overturned + b.other_decisions_per_year * b.other_reversal_rate;
                reversal_weight(m, judge.reversals_year, per_year * year_left, b)
            }
            None => 1.0,
        };
        let cost = |r: Risk| w * (r.appealed * b.appeal_scrutiny + r.overturned * b.reversal_penalty * weight);
        CareerCosts { conviction: cost(conviction), acquittal: cost(acquittal) }
    }

    /// Between periods: judges' expected caseloads follow the cases they decided, and their
    /// beliefs about each kind of verdict what became of verdicts (how many were appealed, how
    /// many overturned, per verdict given): their own remembered verdicts, weighed against
    /// their province colleagues' (`learning.peer_weight`), each estimated with what the law
    /// in force leads every judge to expect (`verdict_priors`) counted as
    /// `learning.prior_verdicts` verdicts (`VerdictMemory` says why counts).
    pub(crate) fn learn_judges(&mut self) {
        let l = &self.s.behaviour.learning;
        let ceiling = self.s.behaviour.trial.judge_capacity * self.s.behaviour.trial.judge_ceiling;
        let per_year = DAYS_PER_YEAR as f64 / l.period_days as f64;
        let rate = l.rate;
        let prior = verdict_priors(self.s, self.rules());
        // Province pools of judges' observations, remembered like a judge's own.
        let mut pool = vec![VerdictRecord::default(); self.s.provinces.len()];
        for j in &self.agents.judges {
            pool[j.province as usize].add(&j.record);
        }
        let colleagues: Vec<VerdictRisks> = self
            .provinces
            .iter_mut()
            .zip(&pool)
            .map(|(p, record)| {
                p.verdicts.remember(record, rate);
                p.verdicts.estimate(&prior, l.prior_verdicts)
            })
            .collect();
        for j in &mut self.agents.judges {
            // The caseload she answers is at most what she can decide: detention hearings,
            // which never wait, may take her past her budget, but not her sense of the load.
            j.load = ((1.0 - rate) * j.load + rate * j.decided as f64 * per_year).min(ceiling);
            j.decided = 0;
            j.detention_hearings = 0;
            j.memory.remember(&j.record, rate);
            let own = j.memory.estimate(&prior, l.prior_verdicts);
            j.risks = own.blend(&colleagues[j.province as usize], l.peer_weight);
            j.record = VerdictRecord::default();
        }
    }
}

/// What the law in force (`rules`) leads a judge to expect of her verdicts before any
/// experience: the appellate system's base rates (`agents::prior_risks`), except that an
/// acquittal the procurator may not appeal is never appealed by him.
pub(crate) fn verdict_priors(s: &Scenario, rules: &Rules) -> VerdictRisks {
    let mut prior = prior_risks(s);
    if !rules.procurator_appeal_acquittals {
        *prior.get_mut(VerdictKind::PublicAcquittal) = Risk { appealed: FORBIDDEN, overturned: FORBIDDEN };
    }
    prior
}

/// The outside checks an acquittal faces under today's rules and indicators:
/// `traits.checks_on_acquittal` counts them while the procuracy may appeal acquittals and the
/// higher courts score judges on reversals (a positive `trial_judge.reversals` weight); a rule
/// or a weight that removes one of these takes its check away, and the province's local tie
/// then moves acquittals more (`Traits::local_pull`).
pub(crate) fn acquittal_checks(t: &Traits, rules: &Rules, inc: &Incentives) -> u32 {
    let removed = u32::from(!rules.procurator_appeal_acquittals) + u32::from(inc.trial_judge.reversals <= 0.0);
    t.checks_on_acquittal.saturating_sub(removed)
}

/// What verdicts cost a judge's career, in utility (`World::career_costs`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct CareerCosts {
    pub conviction: f64,
    pub acquittal: f64,
}

/// The weight of one more reversal under monitoring, in reversal penalties: 1, plus
/// `failing_cost` times the chance that it is the reversal that marks her failing, plus
/// `dismissal_cost` times the chance that it is the one that dismisses her. With `reversals`
/// on record and `expected_rest` more expected in the rest of the year (a Poisson count X), one
/// more makes the year end at the threshold T instead of below it when reversals + X = T - 1.
#[inline]
pub fn reversal_weight(m: &Monitoring, reversals: u32, expected_rest: f64, b: &TrialBehaviour) -> f64 {
    // The reversals short of each threshold; past it already (`None`), one more changes
    // nothing there.
    let short = |threshold: u32| u32::try_from(threshold as i64 - 1 - reversals as i64).ok();
    let (failing, dismissal) = poisson_pmfs(short(m.failing_at), short(m.dismissed_at), expected_rest);
    1.0 + b.failing_cost * failing + b.dismissal_cost * dismissal
}

/// P(X = j) and P(X = k) for X ~ Poisson(mean) (0 for `None`), each as
/// exp(-mean) x (mean / 1) x ... x (mean / k), multiplied in that order: the two products share
/// their first factors, so the larger count's walk goes on from the smaller one's result with
/// the same factors in the same order: the same values as two separate walks (this runs for
/// every trial under monitoring). libm's `exp` once, and only if a count is wanted.
#[inline]
fn poisson_pmfs(j: Option<u32>, k: Option<u32>, mean: f64) -> (f64, f64) {
    // p, which is P(X = from), walked on to P(X = to).
    let walk = |mut p: f64, from: u32, to: u32| {
        for i in from + 1..=to {
            p *= mean / i as f64;
        }
        p
    };
    let p0 = || (-mean).exp();
    match (j, k) {
        (None, None) => (0.0, 0.0),
        (Some(j), None) => (walk(p0(), 0, j), 0.0),
        (None, Some(k)) => (0.0, walk(p0(), 0, k)),
        (Some(j), Some(k)) if j <= k => {
            let at_j = walk(p0(), 0, j);
            (at_j, walk(at_j, j, k))
        }
        (Some(j), Some(k)) => {
            let at_k = walk(p0(), 0, k);
            (walk(at_k, k, j), at_k)
        }
    }
}

/// The chances that a charge against one accused and one against a group are within a
/// jurisdiction that covers the share `share` of all charges, a group's `weight` times as
/// likely as a single accused's (as far as chances up to 1 allow), where `group_share` of
/// charges are against groups. The shares of the two kinds average to `share`, so a dated
/// rule's share keeps its meaning whatever the weight.
pub fn jurisdiction_by_group(share: f64, weight: f64, group_share: f64) -> (f64, f64) {
    // No jurisdiction, a full one, or nothing to tell the charges apart by.
    if share <= 0.0 || share >= 1.0 || weight == 1.0 || group_share <= 0.0 || group_share >= 1.0 {
        return (share, share);
    }
    let single = share / (1.0 - group_share + weight * group_share);
    if weight * single > 1.0 {
        (((share - group_share) / (1.0 - group_share)).clamp(0.0, 1.0), 1.0)
    } else if single > 1.0 {
        (1.0, ((share - (1.0 - group_share)) / group_share).clamp(0.0, 1.0))
    } else {
        (single, weight * single)
    }
}

impl<T: Tracer> World<'_, T> {
    /// Whether the case falls within the jury jurisdiction of the rules in force today.
    /// Co-defendants are tried together; where the jurisdiction is partial, a charge against
    /// a group is more often among the gravest ones it covers (a group is an aggravating
    /// feature). (`jurisdiction_by_group` for the rules in force, by gravity, single and
    /// group, as counts of words: `RuleWords::jury_share`.)
    pub(crate) fn within_jury_jurisdiction(&self, c: &Case) -> bool {
        let share = self.rule_words().jury_share[c.gravity.index()][usize::from(c.defendants > 1)];
        share.holds(c.word(slot::JURY_ELIGIBLE))
    }

    /// Whether the accused asks for a jury, today: at trial, or as the investigation closes
    /// (`jury_request_when_sent`: he reads the case file and files his motions then, so the
    /// jurisdiction of that day decides whether he may ask). He is readier to ask the better the country knows juries to acquit
    /// (`JuryNews::known_rate`); where co-defendants each ask on their own, one request is
    /// enough.
    pub(crate) fn asks_for_jury(&self, c: &Case) -> bool {
        let b = &self.s.behaviour.trial;
        self.within_jury_jurisdiction(c) && {
            let p_ask = logistic(b.jury_request_logit + b.jury_news * self.jury_news.known_rate);
            let p_jury =
                if b.jury_request_per_defendant { 1.0 - (1.0 - p_ask).powi(c.defendants as i32) } else { p_ask };
            c.u(slot::JURY_REQUEST) < p_jury
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Ruling, acquittal_checks, jurisdiction_by_group, poisson_pmfs, verdict_priors};

    /// The kept ln of `returns_after_ban` is libm's ln of the scenario's value, to the bit (the
    /// tiny fixture and the shipped scenario).
    #[test]
    fn kept_returns_after_ban_ln_is_its_ln() {
        for path in ["tests/fixtures/tiny.toml", "scenarios/kazakhstan.toml"] {
            let s = crate::scenario::load_path(std::path::Path::new(path)).expect("loads");
            let model = crate::engine::Model::new(&s);
            let want = s.behaviour.trial.returns_after_ban.ln();
            assert_eq!(model.prep.returns_after_ban_ln.to_bits(), want.to_bits(), "{path}");
        }
    }

    /// The shared walk gives each probability as its own walk does, to the bit: counts in
    /// either order, equal, 0, absent, for small and large means.
    #[test]
    fn poisson_probabilities_of_two_counts_are_each_ones_own() {
        let own = |k: Option<u32>, mean: f64| {
            k.map_or(0.0, |k| {
                let mut p = (-mean).exp();
                for i in 1..=k {
                    p *= mean / i as f64;
                }
                p
            })
        };
        let counts = [None, Some(0), Some(1), Some(2), Some(4), Some(7), Some(12)];
        for mean in [0.0, 1e-3, 0.37, 1.0, 2.5, 9.0, 40.0] {
            for j in counts {
                for k in counts {
                    let (pj, pk) = poisson_pmfs(j, k, mean);
                    assert_eq!(pj.to_bits(), own(j, mean).to_bits(), "{j:?} {k:?} {mean}");
                    assert_eq!(pk.to_bits(), own(k, mean).to_bits(), "{j:?} {k:?} {mean}");
                }
            }
        }
    }

    #[test]
    fn a_rule_or_weight_that_removes_a_check_of_acquittals_takes_it_away() {
        let s = crate::scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny loads");
        let (mut rules, mut inc) = (s.rules[0].value.clone(), s.incentives[0].value.clone());
        let t = &s.traits;
        assert_eq!(t.checks_on_acquittal, 2);
        rules.procurator_appeal_acquittals = true;
        inc.trial_judge.reversals = 1.0;
        assert_eq!(acquittal_checks(t, &rules, &inc), 2);
        rules.procurator_appeal_acquittals = false;
        assert_eq!(acquittal_checks(t, &rules, &inc), 1);
        inc.trial_judge.reversals = 0.0;
        assert_eq!(acquittal_checks(t, &rules, &inc), 0);
        // Never below none.
        let mut unchecked = t.clone();
        unchecked.checks_on_acquittal = 1;
        assert_eq!(acquittal_checks(&unchecked, &rules, &inc), 0);
    }

    #[test]
    fn judges_know_an_acquittal_the_procurator_may_not_appeal_is_not_appealed() {
        use crate::engine::agents::{VerdictKind, prior_risks};
        let s = crate::scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny loads");
        let mut rules = s.rules[0].value.clone();
        rules.procurator_appeal_acquittals = true;
        let base = prior_risks(&s);
        assert!(base.get(VerdictKind::PublicAcquittal).appealed > 0.0);
        assert_eq!(verdict_priors(&s, &rules), base);
        rules.procurator_appeal_acquittals = false;
        let barred = verdict_priors(&s, &rules);
        let acquittal = barred.get(VerdictKind::PublicAcquittal);
        assert_eq!((acquittal.appealed, acquittal.overturned), (0.0, 0.0));
        // Convictions and private verdicts are appealed by others: unchanged.
        for kind in [VerdictKind::PublicConviction, VerdictKind::PrivateAcquittal, VerdictKind::PrivateConviction] {
            assert_eq!(barred.get(kind), base.get(kind), "{kind:?}");
        }
    }

    #[test]
    fn rulings_sit_at_their_index() {
        for (i, r) in Ruling::OPTIONS.iter().enumerate() {
            assert_eq!(r.index(), i, "{r:?}");
        }
        assert_eq!(Ruling::NAMES.len(), Ruling::OPTIONS.len());
    }

    #[test]
    fn group_charges_weigh_more_while_the_share_of_all_charges_stays() {
        let g = 0.2;
        let mean = |(single, group): (f64, f64)| (1.0 - g) * single + g * group;
        // No weight, no change.
        assert_eq!(jurisdiction_by_group(0.15, 1.0, g), (0.15, 0.15));
        // Weight 3: 0.15 / (0.8 + 0.6) for one accused, three times that for a group.
        let (single, group) = jurisdiction_by_group(0.15, 3.0, g);
        assert!((single - 0.15 / 1.4).abs() < 1e-12 && (group - 3.0 * single).abs() < 1e-12);
        // The average over charges is the rule's share, whatever the weight, capped or not.
        for (share, weight) in [(0.15, 3.0), (0.5, 8.0), (0.9, 3.0), (0.3, 0.2), (0.95, 0.1), (0.0, 5.0), (1.0, 5.0)] {
            let split = jurisdiction_by_group(share, weight, g);
            assert!((mean(split) - share).abs() < 1e-12, "{share} {weight}: {split:?}");
            assert!((0.0..=1.0).contains(&split.0) && (0.0..=1.0).contains(&split.1), "{split:?}");
        }
        // Capped: every group charge is in, the rest of the share goes to single charges.
        assert_eq!(jurisdiction_by_group(0.5, 8.0, g).1, 1.0);
        // A full jurisdiction is full for both.
        assert_eq!(jurisdiction_by_group(1.0, 5.0, g), (1.0, 1.0));
    }
}
