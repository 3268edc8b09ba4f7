# The reference for tests/results/test_bootstrap.py: pbkrtest::PBmodcomp of the probit GLMM with and without is_ai.
# Usage: Rscript pbmodcomp.R trials.csv nsim out.csv
suppressPackageStartupMessages({library(lme4); library(pbkrtest)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$is_ai <- as.logical(d$is_ai) - 0.5
d$guessed_ai <- as.integer(as.logical(d$guessed_ai))
d$participant_id <- factor(d$participant_id); d$clip_id <- factor(d$clip_id)
full <- glmer(guessed_ai ~ is_ai + (1 | participant_id) + (1 | clip_id), data = d, family = binomial("probit"))
null <- update(full, . ~ . - is_ai)
pb <- PBmodcomp(full, null, nsim = as.integer(args[2]), seed = 1)
s <- summary(pb)$test
print(s)
write.csv(data.frame(lr = s["LRT", "stat"], p_chisq = s["LRT", "p.value"], p_pb = s["PBtest", "p.value"], nsim = as.integer(args[2])), args[3], row.names = FALSE)
