"""``human-touch plan`` and ``human-touch prereg``: plan a sample size, write the preregistration.

Registered by :func:`results.cli.register`. ``plan`` prints the power of the headline test (and of
the equivalence test) over sample sizes (:mod:`results.planning.power`), or with ``--pairing-effect``
the power to show a difference between similar and random pairs (:mod:`results.planning.pairing_power`,
pairs = trials / 2); ``prereg`` writes the study
version's preregistration (:mod:`results.planning.prereg`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from results.planning.power import DEFAULT_SIZES, METHODS, PlanDesign, equivalence_plan


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of whole numbers: {text!r}") from None
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("sample sizes must be whole numbers of at least 2")
    return sizes


def _clips_and_trials(args: argparse.Namespace) -> tuple[int, int, str | None]:
    """``--clips`` and ``--trials``, each defaulting to the study version in force (and a sentence saying so)."""
    if args.clips is not None and args.trials is not None:
        return args.clips, args.trials, None
    from core import db
    from core.access import Permission
    from experiment.cli import study_for
    from results.planning.in_force import design_in_force

    db.migrate()
    with db.session_scope() as session:
        study, _actor = study_for(session, args, Permission.VIEW_RESULTS)
        in_force = design_in_force(session, study.id)
    clips = args.clips if args.clips is not None else in_force.design.n_clips
    trials = args.trials if args.trials is not None else in_force.design.n_trials
    return clips, trials, in_force.source


def _cmd_plan(args: argparse.Namespace) -> int:
    from results.planning.power import simulate_outcomes, summarise
    from results.planning.sample_size import smallest_size_with_interval

    n_clips, n_trials, source = _clips_and_trials(args)
    if args.pairing_effect is not None:
        return _plan_pairing(args, n_clips, n_trials, source)
    design = PlanDesign(
        n_clips=n_clips,
        n_trials=n_trials,
        d_prime=args.d_prime,
        participant_sd=args.participant_sd,
        clip_sd=args.clip_sd,
        criterion_sd=args.criterion_sd,
        alpha=args.alpha,
        d_prime_margin=args.d_prime_margin,
    )
    if design.problems():
        print("error: " + "; ".join(design.problems()), file=sys.stderr)
        return 2
    start = time.perf_counter()
    outcomes = simulate_outcomes(
        design, args.participants, args.sims, method=args.method, workers=args.workers, seed=args.seed
    )
    curve = summarise(outcomes)
    seconds = time.perf_counter() - start
    smallest = smallest_size_with_interval(outcomes, "power_detection", args.target, seed=args.seed)
    equivalence = equivalence_plan(design, curve, args.target)
    if args.json:
        payload = {
            "design": asdict(design),
            "design_source": source,
            "method": args.method,
            "seconds": seconds,
            "curve": curve.to_dict("records"),
            "smallest_n": asdict(smallest),
            "equivalence": equivalence,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if source:
        print(source)
    print(f"Design: {design}")
    print(
        f"Analysis: {args.method}; {args.sims} simulated worlds, each studied at every size (common random "
        f"numbers); {seconds:.1f} s"
    )
    print(curve.round(3).to_string(index=False))
    print(smallest.sentence(f"to detect d′ = {design.d_prime:g}"))
    print(equivalence["sentence"])
    return 0


def _plan_pairing(args: argparse.Namespace, n_clips: int, n_trials: int, source: str | None) -> int:
    """``plan --pairing-effect``: power to show d'(similar) - d'(random) (:mod:`results.planning.pairing_power`)."""
    from results.planning.pairing_power import PairingPlan, pairing_plan_sentence, pairing_power_curve

    plan = PairingPlan(
        n_clips=n_clips,
        n_pairs=n_trials // 2,
        pairing_effect=args.pairing_effect,
        design=args.pairing_design,
        d_prime=args.d_prime,
        participant_sd=args.participant_sd,
        clip_sd=args.clip_sd,
        alpha=args.alpha,
    )
    if plan.problems():
        print("error: " + "; ".join(plan.problems()), file=sys.stderr)
        return 2
    start = time.perf_counter()
    curve = pairing_power_curve(plan, args.participants, args.sims, method=args.method, seed=args.seed)
    seconds, sentence = time.perf_counter() - start, pairing_plan_sentence(plan, curve, args.target)
    if args.json:
        payload = {
            "pairing_plan": asdict(plan),
            "design_source": source,
            "method": args.method,
            "seconds": seconds,
            "curve": curve.to_dict("records"),
            "sentence": sentence,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if source:
        print(source)
    print(f"Similar versus random pairs: {plan}")
    print(f"Analysis: {args.method}; {args.sims} simulated worlds, each studied at every size; {seconds:.1f} s")
    print(curve.round(3).to_string(index=False))
    print(sentence)
    return 0


def _cmd_prereg(args: argparse.Namespace) -> int:
    from core.access import Permission
    from core.db import session_scope
    from experiment import repository
    from experiment.cli import study_for
    from results.planning.prereg import preregistration_markdown

    with session_scope() as session:
        study, _actor = study_for(session, args, Permission.VIEW_STUDY)
        if args.version is None:
            version_id, settings = repository.current_settings(session, study.id)
        else:
            try:
                if repository.study_of_version(session, args.version) != study.id:
                    raise KeyError(f"study {study.slug} has no version {args.version}")
                version_id, settings = args.version, repository.settings_version(session, args.version)
            except KeyError as error:
                print(f"error: {error.args[0]}", file=sys.stderr)
                return 2
        text = preregistration_markdown(version_id, settings, repository.study_clip_counts(session, settings))
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(args.out)
    return 0


def register(subparsers) -> None:
    """Add ``plan`` and ``prereg`` to the ``human-touch`` command line."""
    from experiment.cli import add_study_option

    plan = subparsers.add_parser("plan", help="power of the headline test over sample sizes, by simulation")
    d = PlanDesign()
    plan.add_argument("--participants", type=_sizes, default=DEFAULT_SIZES, help="comma-separated sample sizes")
    plan.add_argument("--clips", type=int, help="clips in the library (default: those the study in force can play)")
    plan.add_argument("--trials", type=int, help="main trials per participant (default: the study in force's)")
    plan.add_argument("--d-prime", type=float, default=d.d_prime, help="expected d' (GLMM scale)")
    plan.add_argument("--participant-sd", type=float, default=d.participant_sd, help="SD of d' between participants")
    plan.add_argument("--clip-sd", type=float, default=d.clip_sd, help="SD of clips' AI-soundingness (probit)")
    plan.add_argument("--criterion-sd", type=float, default=d.criterion_sd, help="SD of the criterion c")
    plan.add_argument("--alpha", type=float, default=d.alpha)
    plan.add_argument(
        "--d-prime-margin", type=float, default=d.d_prime_margin, help="equivalence margin of d' (as preregistered)"
    )
    plan.add_argument("--sims", type=int, default=100, help="simulated studies per sample size")
    plan.add_argument("--method", choices=METHODS, default="fast", help="fast (planning) or full (the headline GLMM)")
    plan.add_argument("--target", type=float, default=0.8, help="power to reach (default 0.8)")
    plan.add_argument("--workers", type=int, default=2, help="processes for --method full (default 2)")
    plan.add_argument("--seed", type=int, default=1)
    plan.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plan.add_argument(
        "--pairing-effect",
        type=float,
        help="plan a similar-versus-random paired study instead: the d' difference (similar - random) to show",
    )
    plan.add_argument(
        "--pairing-design",
        choices=("within", "between"),
        default="within",
        help="with --pairing-effect: pairing type within or between participants (default within)",
    )
    add_study_option(plan)
    plan.set_defaults(handler=_cmd_plan)

    prereg = subparsers.add_parser("prereg", help="write the preregistration (Markdown with embedded JSON)")
    prereg.add_argument("--version", type=int, help="study version id (default: the version in force)")
    prereg.add_argument("--out", type=Path, help="file to write (default: standard output)")
    add_study_option(prereg)
    prereg.set_defaults(handler=_cmd_prereg)
