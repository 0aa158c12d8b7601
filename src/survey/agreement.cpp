#include "survey/agreement.h"

#include <cmath>
#include <algorithm>
#include <cstdlib>

namespace muni::survey {

std::string kappa_undefined_reason(const Matrix& counts, const std::vector<std::string>& classes) {
  const size_t k = counts.size();
  std::vector<double> row(k, 0), col(k, 0);
  double n = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < counts[i].size() && j < k; ++j) {
      row[i] += counts[i][j];
      col[j] += counts[i][j];
      n += counts[i][j];
    }
  }
  if (n <= 0) return "no decided pairs";
  auto name = [&](size_t i) { return i < classes.size() ? classes[i] : std::to_string(i); };
  for (size_t i = 0; i < k; ++i) {
    if (row[i] == n) {
      return "every answer is '" + name(i) + "': agreement beyond chance cannot be measured";
    }
  }
  for (size_t j = 0; j < k; ++j) {
    if (col[j] == n) {
      return "every observation is '" + name(j) + "': agreement beyond chance cannot be measured";
    }
  }
  return "";
}

std::optional<Kappa> kappa(const Matrix& counts, Weights weights) {
  if (!kappa_undefined_reason(counts, {}).empty()) return std::nullopt;
  const size_t k = counts.size();
  double n = 0;
  for (const auto& row : counts) {
    for (const double c : row) n += c;
  }
  if (k == 0 || n <= 0) return std::nullopt;
  Matrix p(k, std::vector<double>(k));
  std::vector<double> row(k, 0), col(k, 0);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      p[i][j] = counts[i][j] / n;
      row[i] += p[i][j];
      col[j] += p[i][j];
    }
  }
  auto w = [&](size_t i, size_t j) {
    if (weights == Weights::kNone || k < 2) return i == j ? 1.0 : 0.0;
    return 1.0 -
           std::abs(static_cast<double>(i) - static_cast<double>(j)) / static_cast<double>(k - 1);
  };
  double po = 0, pe = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      po += w(i, j) * p[i][j];
      pe += w(i, j) * row[i] * col[j];
    }
  }
  if (pe >= 1.0) return std::nullopt;
  Kappa out;
  out.n = static_cast<int>(n);
  out.kappa = (po - pe) / (1 - pe);
  out.observed_agreement = po;
  out.expected_agreement = pe;
  std::vector<double> wbar_row(k, 0), wbar_col(k, 0);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      wbar_row[i] += col[j] * w(i, j);
      wbar_col[j] += row[i] * w(i, j);
    }
  }
  double sum = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      const double d = w(i, j) - (wbar_row[i] + wbar_col[j]) * (1 - out.kappa);
      sum += p[i][j] * d * d;
    }
  }
  const double c = out.kappa - pe * (1 - out.kappa);
  const double var = (sum - c * c) / (n * (1 - pe) * (1 - pe));
  out.se = std::sqrt(std::max(var, 0.0));
  out.ci_low = std::max(-1.0, out.kappa - 1.96 * out.se);
  out.ci_high = std::min(1.0, out.kappa + 1.96 * out.se);
  return out;
}

NumericAgreement numeric_agreement(const std::vector<double>& claimed,
                                   const std::vector<double>& observed) {
  NumericAgreement out;
  const size_t n = std::min(claimed.size(), observed.size());
  out.n = static_cast<int>(n);
  if (n == 0) return out;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += claimed[i];
    my += observed[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  out.mean_difference = mx - my;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (claimed[i] - mx) * (observed[i] - my);
    sxx += (claimed[i] - mx) * (claimed[i] - mx);
    syy += (observed[i] - my) * (observed[i] - my);
  }
  if (n >= 3 && sxx > 0 && syy > 0) out.pearson_r = sxy / std::sqrt(sxx * syy);
  return out;
}

}  // namespace muni::survey
