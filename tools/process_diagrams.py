"""The two job-coaching diagrams, described for tools/bpmn_layout.py (which lays them out).

After the first generation the .bpmn files are the source designers edit in Camunda Modeler;
these descriptions only regenerate a first layout."""
from __future__ import annotations

from bpmn_model import (  # noqa: F401  (run from tools/: python tools/bpmn_layout.py)
    COL_W, SUBPROCESS_INSET, Diagram, Field, Flow, Lane, Node, end, fld, gateway, rule, script, service,
    start, subprocess, timer_boundary, user,
)

# --- the process descriptions -------------------------------------------------------------------

OFF, COACH, MAN = "lane_official", "lane_coach", "lane_manager"


def tyohonvalmennus() -> Diagram:
    """The job-coaching process (docs/tyohonvalmennus.md)."""
    lanes = [Lane(OFF, "Vastuuvirkailija"), Lane(COACH, "Valmentaja (palveluntuottaja)"), Lane(MAN, "Esihenkilö")]
    sp = "coaching_period"
    nodes = [
        # Referral (official)
        start("referral", "Ohjaus työhönvalmennukseen", OFF, 0, 0, fields=[
            fld("client_hetu", "Asiakkaan henkilötunnus", "hetu", required=True),
            fld("client_name", "Asiakkaan nimi", "string", required=True, maxlength=200),
            fld("client_language", "Asiakkaan asiointikieli", "enum", required=True, default="fi",
                options=[("fi", "suomi"), ("sv", "ruotsi")]),
            fld("municipality", "Kotikunta", "string", required=True),
            fld("service_need", "Palvelutarve", "string", required=True, maxlength=2000),
            fld("provider", "Palveluntuottaja", "provider", required=True),
            fld("planned_start", "Suunniteltu alkamispäivä", "date", required=True),
            fld("planned_end", "Suunniteltu päättymispäivä", "date", required=True),
            fld("health_consent", "Asiakkaan kirjallinen suostumus terveystietojen luovuttamiseen", "boolean"),
            fld("health_information", "Terveystiedot (vain asiakkaan kirjallisella suostumuksella)", "string",
                maxlength=2000),
            fld("other_services", "Muut palvelut (esim. työkokeilu)", "string"),
        ], properties={"validation_decision": "referral_form_rules"}),
        rule("limits", "Hae palvelukuvauksen rajat", OFF, 1, 0, "coaching_limits"),
        service("check_history", "Tarkista valmennushistoria", OFF, 2, 0, "coaching_history"),
        rule("eligibility", "Arvioi ohjauksen edellytykset", OFF, 3, 0, "referral_eligibility"),
        gateway("eligible_gw", "Edellytykset täyttyvät?", OFF, 4, 0),
        service("record_refusal", "Kirjaa ohjauksen hylkääminen", OFF, 5, 1, "record_refusal"),
        end("end_refused", "Ohjaus hylätty", OFF, 6, 1),
        service("record_referral", "Kirjaa ohjaus ja asiakastiedot", OFF, 5, 0, "record_referral"),
        # Start (coach)
        user("accept_referral", "Vastaanota ohjaus ja tee aloitusilmoitus", COACH, 7, 1, "coach", fields=[
            fld("actual_start", "Toteutunut alkamispäivä", "date", required=True),
            fld("coaching_mode", "Toteutustapa", "enum", default="face_to_face",
                options=[("face_to_face", "Lähitapaamiset"), ("remote", "Etänä"), ("mixed", "Lähi- ja etätapaamiset")]),
            fld("coaching_format", "Valmennusmuoto", "enum", default="individual",
                options=[("individual", "Yksilövalmennus"), ("group", "Ryhmävalmennus"),
                         ("both", "Yksilö- ja ryhmävalmennus")]),
        ]),
        timer_boundary("start_notice_overdue", "Aloitusilmoitus myöhässä", "accept_referral", "timeDate",
                       "start_notice_due", interrupting=False, at=0.5),
        service("escalate_start", "Ilmoita myöhästyneestä aloitusilmoituksesta", MAN, 8, 0, "escalate_start_notice"),
        user("follow_up_start_notice", "Selvitä myöhästynyt aloitusilmoitus", MAN, 9, 0, "manager", fields=[
            fld("note", "Muistiinpano", "string"),
        ]),
        end("end_escalation", "Myöhästyminen selvitetty", MAN, 10, 0),
        service("record_start", "Kirjaa aloitusilmoitus", COACH, 8, 1, "record_start"),
        user("set_goals", "Sovi henkilökohtaiset tavoitteet", COACH, 9, 1, "coach", fields=[
            fld("goals", "Tavoitteet ja niiden todentamistapa", "goal_list", required=True),
            fld("meetings_per_week", "Tapaamisia viikossa", "long", required=True, min=1),
        ]),
        service("record_goals", "Tallenna tavoitteet", COACH, 10, 1, "record_goals"),
        gateway("period_merge", "Valmennusjaksoon", COACH, 11, 1),
        # The coaching period
        subprocess(sp, "Valmennusjakso", COACH, 12, 0, span=(13, 4), anchor_row=1),
        timer_boundary("period_hard_end", "Jakson enimmäiskesto täyttyy", sp, "timeDate", "period_end_at",
                       interrupting=True, at=(12.5 * COL_W - SUBPROCESS_INSET) / (13 * COL_W - 2 * SUBPROCESS_INSET)),
        Node("period_start", "startEvent", "Jakso alkaa", parent=sp, col=0, row=1),
        gateway("week_merge", "Viikko alkaa", None, 1, 1, parent=sp),
        user("weekly_review", "Viikkokatsaus", None, 2, 1, "coach", parent=sp, fields=[
            fld("meetings", "Viikon tapaamiset", "meeting_list"),
            fld("absence_days", "Luvattomia poissaolopäiviä tällä viikolla", "long", min=0, max=7),
            fld("other_service_need", "Asiakkaalla on muun palvelun tarve", "boolean"),
            fld("goals_unrealistic", "Tavoitteet eivät vaikuta realistisilta", "boolean"),
            fld("interruption_justified", "Keskeyttäminen olisi perusteltua", "boolean"),
            fld("end_period", "Jakso voidaan päättää", "boolean"),
            fld("notes", "Muistiinpanot", "string"),
        ]),
        service("record_week", "Tallenna viikko", None, 3, 1, "record_week", parent=sp),
        gateway("week_gw", "Miten jatketaan?", None, 4, 1, parent=sp),
        end("period_notice_end", "Ilmoitus vastuuvirkailijalle", None, 12, 0, parent=sp),
        end("period_done_end", "Jakso päättyy", None, 12, 1, parent=sp),
        user("propose_second_period", "Arvioi jatkojakson tarve", None, 5, 2, "coach", parent=sp, fields=[
            fld("second_period_needed", "Jatkojakso on tarpeen", "boolean"),
            fld("justification", "Perustelut", "string"),
        ]),
        gateway("proposal_gw", "Jatkojakso tarpeen?", None, 6, 2, parent=sp),
        service("record_no_second_period", "Kirjaa: ei jatkojaksoa", None, 7, 3, "record_second_period", parent=sp),
        service("check_second_period", "Tarkista jaksohistoria", None, 7, 2, "second_period_history", parent=sp),
        rule("second_period_rule", "Jatkojakson edellytykset", None, 8, 2, "second_period_eligibility", parent=sp),
        gateway("second_period_gw", "Jatkojakso mahdollinen?", None, 9, 2, parent=sp),
        user("decide_second_period", "Päätä jatkojaksosta", None, 10, 2, "official", parent=sp, fields=[
            fld("decision", "Päätös", "enum", required=True, options=[("approve", "Hyväksytään"), ("refuse", "Ei hyväksytä")]),
            fld("reason", "Perustelut", "string"),
        ]),
        service("record_second_period_decision", "Kirjaa jatkojaksopäätös", None, 11, 2, "record_second_period", parent=sp),
        service("record_second_period_forbidden", "Kirjaa: jatkojakso ei mahdollinen", None, 10, 3,
                "record_second_period", parent=sp),
        user("note_second_period_refused", "Jatkojakso ei mahdollinen (tiedoksi)", None, 11, 3, "official", parent=sp),
        service("record_hard_end", "Kirjaa jakson päättyminen", COACH, 24, 4, "record_hard_end"),
        # After the period
        gateway("period_exit_gw", "Ilmoituksen aihe?", COACH, 25, 1),
        user("decide_interruption", "Päätä keskeyttämisestä", OFF, 26, 0, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("interrupt", "Valmennus keskeytetään"), ("continue", "Valmennus jatkuu")]),
            fld("ground", "Keskeyttämisen peruste", "enum",
                options=[("absence", "Luvattomat poissaolot"), ("other_service", "Muun palvelun tarve"),
                         ("goals", "Tavoitteet eivät ole realistisia"), ("other", "Muu peruste")]),
            fld("reason", "Perustelut", "string", required=True),
        ]),
        service("save_interruption_decision", "Tallenna keskeyttämispäätös", OFF, 27, 0, "record_decision",
                properties={"kind": "interruption"}),
        gateway("interruption_gw", "Keskeytetäänkö?", OFF, 28, 0),
        service("record_interruption", "Kirjaa keskeyttäminen", OFF, 33, 0, "record_interruption"),
        user("decide_goals", "Päätä tavoitteiden tarkistamisesta", OFF, 26, 1, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("revise", "Tavoitteet tarkistetaan"), ("interrupt", "Valmennus keskeytetään")]),
            fld("reason", "Perustelut", "string"),
        ]),
        service("save_goals_decision", "Tallenna tavoitepäätös", OFF, 27, 1, "record_decision",
                properties={"kind": "goals"}),
        gateway("goals_gw", "Tarkistetaanko tavoitteet?", OFF, 28, 1),
        user("record_redirection", "Kirjaa ohjaus muuhun palveluun", COACH, 26, 1, "coach", fields=[
            fld("target_service", "Palvelu, johon asiakas ohjataan", "enum",
                options=[("health", "Terveyspalvelut"), ("social", "Sosiaalipalvelut"),
                         ("rehabilitation", "Kuntoutus"), ("other", "Muu palvelu")]),
            fld("description", "Kuvaus", "string", required=True),
        ]),
        service("save_redirection", "Tallenna ohjaus muuhun palveluun", COACH, 27, 1, "record_redirection"),
        user("decide_redirection", "Päätä valmennuksen jatkosta", OFF, 28, 2, "official", fields=[
            fld("decision", "Päätös", "enum", required=True,
                options=[("continue", "Valmennus jatkuu"), ("pause", "Valmennus keskeytetään tauoksi"),
                         ("interrupt", "Valmennus keskeytetään")]),
            fld("reason", "Perustelut", "string", required=True),
        ]),
        service("save_redirection_decision", "Tallenna jatkopäätös", OFF, 29, 2, "record_decision",
                properties={"kind": "redirection"}),
        gateway("redirection_gw", "Miten valmennus jatkuu?", OFF, 30, 2),
        user("resume_after_pause", "Jatka valmennusta tauon jälkeen", OFF, 31, 3, "official", fields=[
            fld("resume_on", "Valmennus jatkuu alkaen", "date"),
        ]),
        user("revise_goals", "Tarkista tavoitteet", COACH, 29, 2, "coach", fields=[
            fld("goals", "Tavoitteet ja niiden todentamistapa", "goal_list", required=True),
        ]),
        service("record_revised_goals", "Tallenna tarkistetut tavoitteet", COACH, 30, 2, "record_goals"),
        script("clear_notice", "Kuittaa ilmoitus käsitellyksi", COACH, 32, 3, "notice_kind = None"),
        service("next_period_check", "Tarkista jakson tilanne", COACH, 26, 4, "load_period_state"),
        gateway("next_period_gw", "Jatkojakso alkaa?", COACH, 27, 4),
        service("start_second_period", "Aloita jatkojakso", COACH, 28, 5, "start_second_period"),
        # Closure
        user("closure", "Kirjaa valmennuksen tulokset", COACH, 34, 1, "coach", fields=[
            fld("goal_results", "Tavoitteiden toteutuminen ja näyttö", "goal_results"),
            fld("outcome_areas", "Tulosalueet", "category_list"),
            fld("employment_status", "Tilanne valmennuksen päättyessä", "enum", required=True,
                options=[("employed", "Työllistynyt"), ("education", "Aloittanut koulutuksen"),
                         ("jobseeker", "Työnhakija"), ("other", "Muu tilanne")]),
            fld("next_steps", "Jatkosuunnitelma", "string"),
        ], properties={"validation_decision": "closure_rules"}),
        service("record_closure", "Tallenna tulokset", COACH, 35, 1, "record_closure"),
        user("final_statement", "Laadi loppulausunto", COACH, 36, 1, "coach", fields=[
            fld("statement_kind", "Lausunnon muoto", "enum", required=True,
                options=[("arvi", "ARVI-lausunto"), ("written", "Muu kirjallinen palaute")]),
            fld("statement_text", "Lausunto", "string", required=True),
            fld("reviewed_with_client", "Lausunto on käyty läpi asiakkaan kanssa", "boolean"),
        ], properties={"validation_decision": "statement_rules"}),
        service("send_statement", "Lähetä lausunto asiakkaalle ja vastuuvirkailijalle", COACH, 37, 1, "send_statement"),
        service("send_end_notification", "Lähetä päättymisilmoitus", COACH, 38, 1, "send_end_notification"),
        user("review_end", "Käsittele päättymisilmoitus", OFF, 39, 0, "official", fields=[
            fld("feedback_discussion", "Palautekeskustelu", "enum", required=True,
                options=[("none", "Ei palautekeskustelua"), ("schedule", "Palautekeskustelu sovitaan")]),
            fld("feedback_planned_on", "Palautekeskustelun suunniteltu päivä", "date"),
        ]),
        gateway("feedback_gw", "Palautekeskustelu?", OFF, 40, 0),
        end("end_closed", "Valmennus päättynyt", OFF, 41, 0),
        user("record_feedback_discussion", "Kirjaa palautekeskustelu", OFF, 41, 1, "official", fields=[
            fld("held_on", "Pidetty", "date", required=True),
            fld("notes", "Muistiinpanot", "string"),
        ]),
        service("save_feedback", "Tallenna palautekeskustelu", OFF, 42, 1, "record_feedback"),
        end("end_closed_feedback", "Valmennus päättynyt, palautekeskustelu pidetty", OFF, 43, 1),
    ]
    reviews_done = "end_period == True or review_count >= max_weekly_reviews"
    flows = [
        Flow("flow_referral_limits", "referral", "limits"),
        Flow("flow_limits_history", "limits", "check_history"),
        Flow("flow_history_eligibility", "check_history", "eligibility"),
        Flow("flow_eligibility_gw", "eligibility", "eligible_gw"),
        Flow("flow_not_eligible", "eligible_gw", "record_refusal", "eligible == False", "Ei edellytyksiä"),
        Flow("flow_eligible", "eligible_gw", "record_referral", "eligible != False", "Edellytykset täyttyvät",
             default=True),
        Flow("flow_refusal_end", "record_refusal", "end_refused"),
        Flow("flow_referral_accept", "record_referral", "accept_referral"),
        Flow("flow_overdue_escalate", "start_notice_overdue", "escalate_start"),
        Flow("flow_escalate_follow_up", "escalate_start", "follow_up_start_notice"),
        Flow("flow_follow_up_end", "follow_up_start_notice", "end_escalation"),
        Flow("flow_accept_start", "accept_referral", "record_start"),
        Flow("flow_start_goals", "record_start", "set_goals"),
        Flow("flow_goals_record", "set_goals", "record_goals"),
        Flow("flow_goals_period", "record_goals", "period_merge"),
        Flow("flow_merge_period", "period_merge", sp),
        # inside the period
        Flow("flow_period_start_week", "period_start", "week_merge"),
        Flow("flow_week_review", "week_merge", "weekly_review"),
        Flow("flow_review_record", "weekly_review", "record_week"),
        Flow("flow_record_week_gw", "record_week", "week_gw"),
        Flow("flow_week_notice", "week_gw", "period_notice_end", "notice_kind is not None", "Ilmoitus"),
        Flow("flow_week_reassess", "week_gw", "propose_second_period", "notice_kind is None and reassessment_due",
             "Tarpeen arviointi"),
        Flow("flow_week_done", "week_gw", "period_done_end",
             f"notice_kind is None and not reassessment_due and ({reviews_done})", "Jakso päättyy"),
        Flow("flow_week_next", "week_gw", "week_merge",
             f"notice_kind is None and not reassessment_due and not ({reviews_done})", "Seuraava viikko",
             default=True, prefer="above"),
        Flow("flow_proposal_gw", "propose_second_period", "proposal_gw"),
        Flow("flow_no_second_period", "proposal_gw", "record_no_second_period", "second_period_needed != True",
             "Ei tarvetta", default=True),
        Flow("flow_second_period_needed", "proposal_gw", "check_second_period", "second_period_needed == True",
             "Tarvitaan"),
        Flow("flow_no_second_period_back", "record_no_second_period", "week_merge", prefer="below"),
        Flow("flow_check_rule", "check_second_period", "second_period_rule"),
        Flow("flow_rule_gw", "second_period_rule", "second_period_gw"),
        Flow("flow_second_period_allowed", "second_period_gw", "decide_second_period",
             "second_period_allowed == True", "Mahdollinen"),
        Flow("flow_second_period_forbidden", "second_period_gw", "record_second_period_forbidden",
             "second_period_allowed != True", "Ei mahdollinen", default=True),
        Flow("flow_decide_record", "decide_second_period", "record_second_period_decision"),
        Flow("flow_decision_back", "record_second_period_decision", "week_merge", prefer="above"),
        Flow("flow_forbidden_note", "record_second_period_forbidden", "note_second_period_refused"),
        Flow("flow_note_back", "note_second_period_refused", "week_merge", prefer="below"),
        # leaving the period
        Flow("flow_hard_end", "period_hard_end", "record_hard_end"),
        Flow("flow_hard_end_check", "record_hard_end", "next_period_check"),
        Flow("flow_period_exit", sp, "period_exit_gw"),
        Flow("flow_exit_interruption", "period_exit_gw", "decide_interruption", 'notice_kind == "interruption"',
             "Keskeyttäminen"),
        Flow("flow_exit_goals", "period_exit_gw", "decide_goals", 'notice_kind == "goals_unrealistic"',
             "Tavoitteet epärealistiset"),
        Flow("flow_exit_other_service", "period_exit_gw", "record_redirection", 'notice_kind == "other_service"',
             "Muun palvelun tarve"),
        Flow("flow_exit_next", "period_exit_gw", "next_period_check",
             'notice_kind not in ("interruption", "other_service", "goals_unrealistic")', "Ei ilmoitusta",
             default=True),
        Flow("flow_interruption_save", "decide_interruption", "save_interruption_decision"),
        Flow("flow_interruption_gw", "save_interruption_decision", "interruption_gw"),
        Flow("flow_interrupt", "interruption_gw", "record_interruption", 'decision == "interrupt"', "Keskeytetään"),
        Flow("flow_interruption_continue", "interruption_gw", "clear_notice", 'decision == "continue"', "Jatketaan",
             prefer="z-source"),
        Flow("flow_goals_save", "decide_goals", "save_goals_decision"),
        Flow("flow_goals_gw", "save_goals_decision", "goals_gw"),
        Flow("flow_goals_revise", "goals_gw", "revise_goals", 'decision == "revise"', "Tarkistetaan"),
        Flow("flow_goals_interrupt", "goals_gw", "record_interruption", 'decision == "interrupt"', "Keskeytetään"),
        Flow("flow_revise_record", "revise_goals", "record_revised_goals"),
        Flow("flow_revised_clear", "record_revised_goals", "clear_notice"),
        Flow("flow_redirection_save", "record_redirection", "save_redirection"),
        Flow("flow_redirection_decide", "save_redirection", "decide_redirection"),
        Flow("flow_redirection_decision_save", "decide_redirection", "save_redirection_decision"),
        Flow("flow_redirection_gw", "save_redirection_decision", "redirection_gw"),
        Flow("flow_redirection_continue", "redirection_gw", "clear_notice", 'decision == "continue"', "Jatkuu"),
        Flow("flow_redirection_pause", "redirection_gw", "resume_after_pause", 'decision == "pause"', "Tauko"),
        Flow("flow_redirection_interrupt", "redirection_gw", "record_interruption", 'decision == "interrupt"',
             "Keskeytetään"),
        Flow("flow_resume_clear", "resume_after_pause", "clear_notice"),
        Flow("flow_clear_period", "clear_notice", "period_merge", prefer="below"),
        Flow("flow_interruption_closure", "record_interruption", "closure"),
        Flow("flow_check_next_gw", "next_period_check", "next_period_gw"),
        Flow("flow_second_period_start", "next_period_gw", "start_second_period",
             "second_period_approved and period_number == 1", "Jatkojakso"),
        Flow("flow_to_closure", "next_period_gw", "closure", "not (second_period_approved and period_number == 1)",
             "Päättäminen", default=True),
        Flow("flow_second_period_back", "start_second_period", "period_merge", prefer="below"),
        # Closure
        Flow("flow_closure_record", "closure", "record_closure"),
        Flow("flow_record_statement", "record_closure", "final_statement"),
        Flow("flow_statement_send", "final_statement", "send_statement"),
        Flow("flow_send_end_notification", "send_statement", "send_end_notification"),
        Flow("flow_end_notification_review", "send_end_notification", "review_end"),
        Flow("flow_review_feedback_gw", "review_end", "feedback_gw"),
        Flow("flow_feedback_none", "feedback_gw", "end_closed", 'feedback_discussion != "schedule"',
             "Ei palautekeskustelua", default=True),
        Flow("flow_feedback_schedule", "feedback_gw", "record_feedback_discussion",
             'feedback_discussion == "schedule"', "Palautekeskustelu"),
        Flow("flow_feedback_save", "record_feedback_discussion", "save_feedback"),
        Flow("flow_feedback_end", "save_feedback", "end_closed_feedback"),
    ]
    return Diagram("tyohonvalmennus", "Työhönvalmennus", lanes, nodes, flows,
                   process_attrs={"camunda:candidateStarterGroups": "official"})


def provider_follow_up() -> Diagram:
    """Follow-up of a contracted service provider (seurantapalaverit)."""
    lanes = [Lane(MAN, "Esihenkilö")]
    nodes = [
        start("provider_start", "Uusi palveluntuottaja", MAN, 0, 0, fields=[
            fld("provider", "Palveluntuottaja", "provider", required=True),
            fld("methods", "Menetelmät", "string", required=True),
            fld("municipalities", "Toimintakunnat", "string", required=True),
            fld("start_dates", "Aloituspäivät (suunnitelma)", "string"),
            fld("non_stop", "Jatkuva aloitus (non-stop)", "boolean"),
            fld("places_at_once", "Asiakaspaikkoja kerralla (arvio)", "long", min=0),
            fld("places_per_year", "Asiakaspaikkoja vuodessa (arvio)", "long", min=0),
            fld("target_group", "Kohderyhmä", "string"),
        ]),
        service("register_provider", "Rekisteröi palveluntuottaja", MAN, 1, 0, "register_provider"),
        user("contract_active", "Sopimus voimassa (päätä seuranta, kun sopimus päättyy)", MAN, 2, 0, "manager"),
        timer_boundary("follow_up_cycle", "Seurantapalaverin aika", "contract_active", "timeCycle", '"R4/P3M"',
                       interrupting=False, at=0.5),
        end("follow_up_end", "Seuranta päättynyt", MAN, 4, 0),
        user("record_follow_up_meeting", "Kirjaa seurantapalaveri", MAN, 3, 1, "manager", fields=[
            fld("held_on", "Pidetty", "date", required=True),
            fld("notes", "Muistiinpanot", "string", required=True),
            fld("actions", "Sovitut toimenpiteet", "string"),
        ]),
        service("save_follow_up", "Tallenna seurantapalaveri", MAN, 4, 1, "record_follow_up"),
        end("follow_up_recorded", "Seurantapalaveri kirjattu", MAN, 5, 1),
    ]
    flows = [
        Flow("flow_start_register", "provider_start", "register_provider"),
        Flow("flow_register_contract", "register_provider", "contract_active"),
        Flow("flow_contract_end", "contract_active", "follow_up_end"),
        Flow("flow_cycle_meeting", "follow_up_cycle", "record_follow_up_meeting"),
        Flow("flow_meeting_save", "record_follow_up_meeting", "save_follow_up"),
        Flow("flow_save_recorded", "save_follow_up", "follow_up_recorded"),
    ]
    return Diagram("provider_follow_up", "Palveluntuottajan seuranta", lanes, nodes, flows,
                   process_attrs={"camunda:candidateStarterGroups": "manager"})


DIAGRAMS = {"tyohonvalmennus": tyohonvalmennus, "provider_follow_up": provider_follow_up}


