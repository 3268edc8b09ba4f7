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
#     criterion c (DeCarlo 1998). Likelihood-ratio tests against 0 and profile 95% intervals.
#     (The app divides the LR statistic by a REML-type clip-variance correction, at most
#     1 + 2 / (clips - 2), refers it to F(1, clips - 2) and uses that scale times t(clips - 2)^2 as the
#     profile's critical value (results/mixed/inference.py); R's defaults below are chi-square(1) and 1.96^2, so
#     with few clips the app's p-values are larger and its intervals wider, as calibration requires.)
#  2. Emotion, per scale: the true-source effect from a model WITHOUT the listener's guess (the guess
#     is caused by the listening experience, so adjusting for it would open a collider path):
#     cumulative link mixed model  rating ~ is_ai + (1 + is_ai | participant_id) + (1 | clip_id)
#     (ordinal::clmm), and the linear mixed model of the same formula for comparison.
# Writes one row per estimate to estimates.csv (default: stdout only).

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
                   lr_statistic = numeric(0), p_value_chisq = numeric(0), stringsAsFactors = FALSE)
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
  det_rows <- data.frame(model = "detection", term = names(fixed), estimate = unname(fixed), se = unname(se),
                     lr_statistic = unname(lr[names(fixed)]), stringsAsFactors = FALSE)
  det_rows <- rbind(det_rows, data.frame(model = "detection", term = paste("sd", vc$grp, vc$var1),
                                         estimate = vc$sdcor, se = NA, lr_statistic = NA))
  det_rows$p_value_chisq <- pchisq(det_rows$lr_statistic, 1, lower.tail = FALSE)
  rows <- rbind(rows, det_rows)
}
if (!detection_only && !emotion_only) {
  # lme4 stops when profiling finds a lower deviance than its optimum (a flat likelihood); say so.
  profile_ci <- tryCatch(confint(detection, parm = "beta_", method = "profile"),
                         error = function(e) { message("profile intervals not available: ", conditionMessage(e)); NULL })
  print(profile_ci)
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
                                 se = sqrt(diag(as.matrix(vcov(lmm))))[2], lr_statistic = NA, p_value_chisq = NA))
  if (requireNamespace("ordinal", quietly = TRUE)) {
    rated$rating <- factor(rated[[scale]], ordered = TRUE)
    clmm <- ordinal::clmm(rating ~ is_ai + (1 + is_ai | participant_id) + (1 | clip_id), data = rated)
    co <- summary(clmm)$coefficients
    rows <- rbind(rows, data.frame(model = paste("emotion_clmm", scale), term = "is_ai",
                                   estimate = co["is_ai", 1], se = co["is_ai", 2], lr_statistic = NA,
                                   p_value_chisq = co["is_ai", 4]))
  }
}
print(rows)
if (length(args) >= 2) write.csv(rows, args[2], row.names = FALSE)
