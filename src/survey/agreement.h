// Agreement statistics for survey answers against observations.
//
// Cohen's kappa (Cohen 1960) and weighted kappa with linear agreement weights
// (Cohen 1968; weights 1 - |i - j| / (k - 1)), both with the large-sample
// standard error of Fleiss, Cohen & Everitt (1969), "Large sample standard
// errors of kappa and weighted kappa", Psychological Bulletin 72(5):
//
//   var(k_w) = [ sum_ij p_ij (w_ij - (wbar_i. + wbar_.j)(1 - k_w))^2
//               - (k_w - p_e(1 - k_w))^2 ] / (n (1 - p_e)^2)
//   wbar_i. = sum_j p_.j w_ij,  wbar_.j = sum_i p_i. w_ij
//
// Unweighted kappa is the case w = identity. The 95 % interval is the Wald
// interval kappa +/- 1.96 SE clipped to [-1, 1], the range kappa can take
// (docs/survey.md). Rows are claimed classes, columns observed classes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace muni::survey {

using Matrix = std::vector<std::vector<double>>;  // counts, k x k

struct Kappa {
  double kappa = 0;
  double se = 0;
  double ci_low = 0;
  double ci_high = 0;
  double observed_agreement = 0;  // weighted when weights are used
  double expected_agreement = 0;
  int n = 0;
};

enum class Weights { kNone, kLinear };

// nullopt when kappa is undefined: no pairs, or all answers (or all
// observations) in one class, where chance agreement explains everything
// and kappa carries no information. kappa_undefined_reason() says which.
std::optional<Kappa> kappa(const Matrix& counts, Weights weights);
// "" when kappa is defined; otherwise why not, with `classes` naming the
// classes ("every answer is 'yes'").
std::string kappa_undefined_reason(const Matrix& counts, const std::vector<std::string>& classes);

struct NumericAgreement {
  int n = 0;
  std::optional<double> pearson_r;
  double mean_difference = 0;  // mean of claimed - observed
};
NumericAgreement numeric_agreement(const std::vector<double>& claimed,
                                   const std::vector<double>& observed);

}  // namespace muni::survey
