#!/usr/bin/env Rscript
# Human Touch: the headline models in R, from the app's export (trials.csv).
#
# Usage:  Rscript analysis.R trials.csv [estimates.csv]
#         (HUMAN_TOUCH_DETECTION_ONLY=1 fits the detection GLMM only, without profiles;
#          HUMAN_TOUCH_EMOTION_ONLY=1 fits the emotion models only; HUMAN_TOUCH_SCALES=moved,valence
#          limits them to those scales)
#
# Reproduces, with lme4 (Bates et al. 2015) and ordinal (Christensen 2019):
#  1. Detection: probit GLMM  guessed_ai ~ is_ai + (1 + is_ai || participant_id) + (1 | clip_id),
#     is_ai coded -0.5 (human) / +0.5 (AI): the is_ai coefficient is d', minus the intercept is the
#     criterion c (DeCarlo 1998). Likelihood-ratio tests against 0 and 95% intervals: lme4's profile
#     intervals, or Wald intervals with a note when profiling fails (e.g. "profiling detected new, lower
#     deviance" on a flat likelihood) or is skipped (HUMAN_TOUCH_DETECTION_ONLY); the ci_method column says
#     which. (The app refers the LR statistic to F(1, clips - 2), between-within df, and its profile to
#     t(clips - 2)^2; R's defaults below are chi-square(1) and 1.96^2. The app's small-sample test of d' is the
#     parametric bootstrap, as pbkrtest::PBmodcomp(detection, no_dprime) here.)
#  2. Emotion, per scale: the true-source effect from a model WITHOUT the listener's guess (the guess
#     is caused by the listening experience, so adjusting for it would open a collider path):
#     the app's reported model, the cumulative link mixed model
#     rating ~ is_ai + (1 | participant_id) + (1 | clip_id)  (ordinal::clmm's defaults: logit link,
#     flexible thresholds, Laplace), with its 95% interval and test on t(clips - 2) as on the app's pages;
#     and the linear mixed model  rating ~ is_ai + (1 + is_ai | participant_id) + (1 | clip_id)  as the
#     app's sensitivity check.
# Writes one row per estimate to estimates.csv (default: stdout only). Column p_value is the app's test of
# the row (detection: LR on F(1, clips - 2); emotion_clmm: Wald t on clips - 2 df); p_value_chisq is R's
# large-sample test (LR on chi-square(1); emotion_clmm: clmm's Wald z).

suppressPackageStartupMessages({
  library(lme4)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript analysis.R trials.csv [estimates.csv]")
trials <- read.csv(args[1], stringsAsFactors = FALSE)
main <- trials[trials$kind == "main" & !is.na(trials$guess) & trials$guess != "", ]
main$is_ai <- as.logical(as.character(main$is_ai)) - 0.5
main$guessed_ai <- as.integer(main$guess == "ai")
main$participant_id <- factor(main$participant_id)
main$clip_id <- factor(main$clip_id)

rows <- data.frame(model = character(0), term = character(0), estimate = numeric(0), se = numeric(0),
                   lr_statistic = numeric(0), p_value = numeric(0), p_value_chisq = numeric(0), ci_low = numeric(0),
                   ci_high = numeric(0), ci_method = character(0), stringsAsFactors = FALSE)

# 95% intervals of the fixed effects: lme4's profile intervals, else Wald with a note saying why.
fixed_intervals <- function(fit, profile = TRUE) {
  why <- "profiles skipped (HUMAN_TOUCH_DETECTION_ONLY)"
  if (profile) {
    ci <- tryCatch(confint(fit, parm = "beta_", method = "profile"),
                   error = function(e) { why <<- conditionMessage(e); NULL })
    if (!is.null(ci) && all(is.finite(ci))) return(list(ci = ci, method = "profile"))
    if (!is.null(ci)) why <- "the profile did not reach the 95% level on one side"
  }
  message("note: Wald 95% intervals instead of profile intervals: ", why)
  list(ci = confint(fit, parm = "beta_", method = "Wald"), method = "Wald")
}
# A pilot whose exclusion rules leave nobody exports a header-only trials.csv; lme4 would stop with
# "Invalid grouping factor specification". Say why, write the empty estimates, and stop cleanly.
if (nrow(main) == 0 || nlevels(main$participant_id) < 2 || nlevels(main$clip_id) < 2) {
  message(sprintf("no analysed trials to model in %s (%d main trials with a guess, %d participants, %d clips; ",
                  args[1], nrow(main), nlevels(main$participant_id), nlevels(main$clip_id)),
          "the models need at least 2 participants and 2 clips)")
  if (length(args) >= 2) write.csv(rows, args[2], row.names = FALSE)
  quit(save = "no", status = 0)
}

detection_only <- identical(Sys.getenv("HUMAN_TOUCH_DETECTION_ONLY"), "1")
emotion_only <- identical(Sys.getenv("HUMAN_TOUCH_EMOTION_ONLY"), "1")
if (!emotion_only) {
  detection <- glmer(guessed_ai ~ is_ai + (1 + is_ai || participant_id) + (1 | clip_id),
                     data = main, family = binomial(link = "probit"))
  print(summary(detection))
  if (isSingular(detection)) message("note: singular fit (a random SD estimated at 0)")
  no_dprime <- update(detection, . ~ . - is_ai)
  no_criterion <- update(detection, . ~ . - 1)
  lr <- c(is_ai = anova(no_dprime, detection)$Chisq[2], `(Intercept)` = anova(no_criterion, detection)$Chisq[2])

  fixed <- fixef(detection)
  se <- sqrt(diag(as.matrix(vcov(detection))))
  vc <- as.data.frame(VarCorr(detection))
  intervals <- fixed_intervals(detection, profile = !detection_only)
  print(intervals)
  det_rows <- data.frame(model = "detection", term = names(fixed), estimate = unname(fixed), se = unname(se),
                     lr_statistic = unname(lr[names(fixed)]), ci_low = unname(intervals$ci[names(fixed), 1]),
                     ci_high = unname(intervals$ci[names(fixed), 2]), ci_method = intervals$method,
                     stringsAsFactors = FALSE)
  det_rows <- rbind(det_rows, data.frame(model = "detection", term = paste("sd", vc$grp, vc$var1),
                                         estimate = vc$sdcor, se = NA, lr_statistic = NA, ci_low = NA,
                                         ci_high = NA, ci_method = NA))
  det_rows$p_value <- pf(det_rows$lr_statistic, 1, nlevels(main$clip_id) - 2, lower.tail = FALSE)
  det_rows$p_value_chisq <- pchisq(det_rows$lr_statistic, 1, lower.tail = FALSE)
  rows <- rbind(rows, det_rows[, names(rows)])
}

wanted <- Sys.getenv("HUMAN_TOUCH_SCALES")
wanted <- if (nzchar(wanted)) strsplit(wanted, ",")[[1]] else c("valence", "arousal", "moved", "liking")
scales <- if (detection_only) character(0) else intersect(wanted, names(main))
for (scale in scales) {
  rated <- main[!is.na(main[[scale]]), ]
  if (nrow(rated) < 10) next
  lmm <- lmer(as.formula(paste(scale, "~ is_ai + (1 + is_ai | participant_id) + (1 | clip_id)")), data = rated)
  rows <- rbind(rows, data.frame(model = paste("emotion_lmm", scale), term = "is_ai",
                                 estimate = fixef(lmm)[["is_ai"]],
                                 se = sqrt(diag(as.matrix(vcov(lmm))))[2], lr_statistic = NA, p_value = NA,
                                 p_value_chisq = NA, ci_low = NA, ci_high = NA, ci_method = NA))
  if (requireNamespace("ordinal", quietly = TRUE)) {
    rated$rating <- factor(rated[[scale]], ordered = TRUE)
    # The app's model: crossed random intercepts, no by-participant slope; t on clips - 2 df.
    clmm <- ordinal::clmm(rating ~ is_ai + (1 | participant_id) + (1 | clip_id), data = rated)
    co <- summary(clmm)$coefficients
    df_clips <- nlevels(droplevels(rated$clip_id)) - 2
    half <- qt(0.975, df_clips) * co["is_ai", 2]
    rows <- rbind(rows, data.frame(model = paste("emotion_clmm", scale), term = "is_ai",
                                   estimate = co["is_ai", 1], se = co["is_ai", 2], lr_statistic = NA,
                                   p_value = 2 * pt(-abs(co["is_ai", 3]), df_clips),
                                   p_value_chisq = co["is_ai", 4], ci_low = co["is_ai", 1] - half,
                                   ci_high = co["is_ai", 1] + half, ci_method = sprintf("Wald t(%d)", df_clips)))
  }
}
print(rows)
if (length(args) >= 2) write.csv(rows, args[2], row.names = FALSE)
