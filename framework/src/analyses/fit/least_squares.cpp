// Least squares for `fit:` with Ceres Solver (Debian's libceres-dev 2.1): Levenberg–Marquardt,
// dense QR, bounds on the variables. The residuals come from simulations or model evaluations
// that have no derivatives, so the cost function differentiates them itself (central
// differences with the step the caller chose, one-sided at a bound), and the same Jacobian
// gives the covariance (Eigen's SVD).
#include "least_squares.hpp"

#include <ceres/ceres.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace racesim::fit {

double step_at(const Problem& pb, std::size_t j, const std::vector<double>& x) {
    return std::max(pb.step[j], pb.rel_step[j] * std::abs(x[j]));
}

bool jacobian(const Problem& pb, const std::vector<double>& x, std::vector<double>& J) {
    J.assign(pb.n * pb.p, 0.0);
    std::vector<double> xs = x, r_plus, r_minus;
    for (std::size_t j = 0; j < pb.p; ++j) {
        const double h = step_at(pb, j, x);
        bool plus = x[j] + h <= pb.upper[j], minus = x[j] - h >= pb.lower[j];
        if (plus) {
            xs[j] = x[j] + h;
            plus = pb.residuals(xs, r_plus);
        }
        if (minus) {
            xs[j] = x[j] - h;
            minus = pb.residuals(xs, r_minus);
        }
        xs[j] = x[j];
        if (plus && minus) {
            for (std::size_t i = 0; i < pb.n; ++i) J[i * pb.p + j] = (r_plus[i] - r_minus[i]) / (2 * h);
            continue;
        }
        // One side only: a one-sided difference against the residuals at x.
        std::vector<double> r0;
        if ((!plus && !minus) || !pb.residuals(x, r0)) return false;
        for (std::size_t i = 0; i < pb.n; ++i)
            J[i * pb.p + j] = plus ? (r_plus[i] - r0[i]) / h : (r0[i] - r_minus[i]) / h;
    }
    for (double v : J)
        if (!std::isfinite(v)) return false;
    return true;
}

namespace {

/// The problem as Ceres sees it: one parameter block of p variables, n residuals.
class Cost final : public ceres::CostFunction {
public:
    explicit Cost(const Problem& pb) : pb_(pb) {
        set_num_residuals(static_cast<int>(pb.n));
        mutable_parameter_block_sizes()->push_back(static_cast<int>(pb.p));
    }
    bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
        const std::vector<double> x(parameters[0], parameters[0] + pb_.p);
        std::vector<double> r;
        if (!pb_.residuals(x, r)) return false;
        for (std::size_t i = 0; i < pb_.n; ++i) {
            if (!std::isfinite(r[i])) return false;
            residuals[i] = r[i];
        }
        if (jacobians && jacobians[0]) {
            std::vector<double> J;
            if (!jacobian(pb_, x, J)) return false;
            std::copy(J.begin(), J.end(), jacobians[0]);  // row-major n x p, as Ceres lays it out
        }
        return true;
    }

private:
    const Problem& pb_;
};

class Stop final : public ceres::IterationCallback {
public:
    explicit Stop(const Problem& pb) : pb_(pb) {}
    ceres::CallbackReturnType operator()(const ceres::IterationSummary&) override {
        return pb_.stop && pb_.stop() ? ceres::SOLVER_ABORT : ceres::SOLVER_CONTINUE;
    }

private:
    const Problem& pb_;
};

}  // namespace

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// max_j |(J^T r)_j|, the gradient of the cost / 2.
double gradient_norm(const std::vector<double>& J, const std::vector<double>& r, std::size_t n, std::size_t p) {
    double g = 0;
    for (std::size_t j = 0; j < p; ++j) {
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) s += J[i * p + j] * r[i];
        g = std::max(g, std::abs(s));
    }
    return g;
}

/// Gauss-Newton steps from where Levenberg-Marquardt stopped, each kept only while the gradient
/// J^T r shrinks. LM accepts a step by the decrease of the cost, which near the minimum is the
/// square of the parameters' error and is lost in rounding below a relative error of about 1e-8
/// (sqrt of the double's epsilon); the gradient is linear in that error and resolves it.
void polish(const Problem& pb, Solution& s) {
    double g = gradient_norm(s.J, s.r, pb.n, pb.p);
    for (int k = 0; k < 10 && g > 0; ++k) {
        const Eigen::Map<const RowMatrix> J(s.J.data(), static_cast<Eigen::Index>(pb.n),
                                            static_cast<Eigen::Index>(pb.p));
        const Eigen::Map<const Eigen::VectorXd> r(s.r.data(), static_cast<Eigen::Index>(pb.n));
        const Eigen::VectorXd dx = J.colPivHouseholderQr().solve(-r);
        std::vector<double> x = s.x, r2, J2;
        for (std::size_t j = 0; j < pb.p; ++j) {
            x[j] += dx(static_cast<Eigen::Index>(j));
            if (!(x[j] >= pb.lower[j] && x[j] <= pb.upper[j])) return;
        }
        if (!pb.residuals(x, r2) || !jacobian(pb, x, J2)) return;
        double rss = 0;
        for (double v : r2) rss += v * v;
        const double g2 = gradient_norm(J2, r2, pb.n, pb.p);
        if (!(g2 < g) || !(rss <= s.rss * (1 + 1e-12))) return;
        s.x = std::move(x);
        s.r = std::move(r2);
        s.J = std::move(J2);
        s.rss = rss;
        g = g2;
    }
}

}  // namespace

Solution solve(const Problem& pb, const std::vector<double>& x0) {
    Solution out;
    std::vector<double> x = x0;
    Cost cost(pb);
    ceres::Problem::Options po;
    po.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    ceres::Problem problem(po);
    problem.AddResidualBlock(&cost, nullptr, x.data());
    for (std::size_t j = 0; j < pb.p; ++j) {
        if (std::isfinite(pb.lower[j])) problem.SetParameterLowerBound(x.data(), static_cast<int>(j), pb.lower[j]);
        if (std::isfinite(pb.upper[j])) problem.SetParameterUpperBound(x.data(), static_cast<int>(j), pb.upper[j]);
    }
    Stop stop(pb);
    ceres::Solver::Options o;
    o.minimizer_type = ceres::TRUST_REGION;
    o.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
    o.linear_solver_type = ceres::DENSE_QR;
    o.max_num_iterations = pb.max_iterations;
    // Converged when a step moves x by less than 1e-13 of its norm (or the gradient vanishes).
    // No test on the change of the cost: near the minimum it changes by the square of the
    // parameters' error, so a relative 1e-15 there still leaves them ~1e-8 off (seen on a linear
    // fit). Steps that fail (simulation noise at rel_tol) shrink the trust region until the
    // step test holds.
    o.function_tolerance = 0;
    o.gradient_tolerance = 1e-16;
    o.parameter_tolerance = 1e-13;
    o.logging_type = ceres::SILENT;
    o.minimizer_progress_to_stdout = false;
    o.num_threads = 1;  // the scenario's own thread: runs are parallel across scenarios
    o.callbacks.push_back(&stop);
    ceres::Solver::Summary summary;
    ceres::Solve(o, &problem, &summary);
    out.iterations = static_cast<int>(summary.iterations.size());
    out.converged = summary.termination_type == ceres::CONVERGENCE;
    out.message = summary.message;
    if (!summary.IsSolutionUsable()) return out;
    if (!pb.residuals(x, out.r)) return out;
    if (!jacobian(pb, x, out.J)) return out;
    out.x = x;
    out.rss = 0;
    for (double v : out.r) out.rss += v * v;
    out.usable = true;
    polish(pb, out);
    return out;
}

Covariance covariance(const std::vector<double>& J, std::size_t n, std::size_t p, double s2) {
    Covariance c;
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> A(
        J.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinV);
    const Eigen::VectorXd& sv = svd.singularValues();
    const double smax = sv.size() ? sv(0) : 0, smin = sv.size() ? sv(sv.size() - 1) : 0;
    c.condition = smin > 0 ? smax / smin : std::numeric_limits<double>::infinity();
    if (!(smax > 0) || !(c.condition <= 1e12)) {
        c.why = "the Jacobian is singular (condition number " +
                (std::isfinite(c.condition) ? std::to_string(c.condition) : std::string("infinite")) +
                "): the data do not determine every fitted parameter";
        return c;
    }
    const Eigen::MatrixXd& V = svd.matrixV();
    const Eigen::VectorXd inv2 = sv.array().square().inverse();
    const Eigen::MatrixXd cov = s2 * V * inv2.asDiagonal() * V.transpose();
    c.cov.resize(p * p);
    for (std::size_t i = 0; i < p; ++i)
        for (std::size_t j = 0; j < p; ++j)
            c.cov[i * p + j] = cov(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
    return c;
}

}  // namespace racesim::fit
