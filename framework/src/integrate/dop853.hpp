// Dormand–Prince 8(5,3) ("DOP853"): an explicit Runge–Kutta stepper of order 8 with Hairer's two
// embedded error estimates (orders 5 and 3) and its 7th-order dense output, for one scalar
// variable. Header-only; no heap allocation, no virtual calls, no global mutable state.
//
// Source of the method and its coefficients: E. Hairer, S. P. Nørsett, G. Wanner, "Solving
// Ordinary Differential Equations I: Nonstiff Problems", 2nd ed., Springer 1993 (the method of
// Dormand & Prince and the code DOP853), and Hairer's Fortran code dop853.f
// (http://www.unige.ch/~hairer/software.html). The numbers below are the doubles of SciPy 1.10's
// scipy/integrate/_ivp/dop853_coefficients.py (which copies dop853.f), printed with Python's
// repr() so that every literal is the same double; e3 is SciPy's E3 = b − bhh, rounded to double
// as SciPy computes it. The arithmetic follows SciPy's rk_step, DOP853._dense_output_impl and
// Dop853DenseOutput term by term, so that both give the same doubles (tests/numerics/
// test_dop853.cpp compares them).
//
// Use (see framework/src/integrate/stepper.cpp for the dopri5 equivalent):
//   Dop853 rk;
//   rk.do_step(sys, x0, dxdt0, t, x1, dxdt1, h, err5, err3);   // 12 RHS calls (11 + FSAL)
//   const double err = Dop853::error_norm(err5, err3, scale);  // accept if err <= 1;
//   h_next = h · clamp(0.9 · err^(−1/(error_estimator_order + 1)), ...)
//   rk.prepare_dense(sys);                                      // accepted steps only: 3 RHS calls
//   rk.calc_state(tq);                                          // tq in [t, t + h]
#pragma once

#include <array>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <limits>

namespace racesim {

/// DOP853 for a scalar state: one step of the 8th-order solution with the first-same-as-last
/// (FSAL) derivative, the 5th- and 3rd-order error estimates, and the 7th-order dense output of
/// the last step. The object holds the stages of the last do_step (for the dense output) and
/// nothing else; copying it copies them.
class Dop853 {
public:
    /// Order of the solution that do_step returns.
    static constexpr int order = 8;
    /// Order of the error estimate (as SciPy's DOP853.error_estimator_order): a controller scales
    /// the step by error_norm^(−1/(error_estimator_order + 1)) = error_norm^(−1/8).
    static constexpr int error_estimator_order = 7;
    /// Order of the dense output (calc_state): its local error is O(h^8).
    static constexpr int dense_output_order = 7;
    /// Stages of one step, the first (whose derivative is passed in) included, the FSAL
    /// derivative not.
    static constexpr std::size_t n_stages = 12;
    /// All stages: the step's 12, the FSAL derivative (index 12), the dense output's 3 (13–15).
    static constexpr std::size_t n_stages_extended = 16;

    /// c_i of every stage i (SciPy's C): 0–11 the step's stages, 12 the FSAL derivative at
    /// t + h, 13–15 the dense output's extra stages.
    static constexpr std::array<double, n_stages_extended> c{
        {0.0, 0.05260015195876773, 0.0789002279381516, 0.1183503419072274, 0.2816496580927726, 0.3333333333333333, 0.25,
         0.3076923076923077, 0.6512820512820513, 0.6, 0.8571428571428571, 1.0, 1.0, 0.1, 0.2, 0.7777777777777778}};

    /// a_ij (j < i; the rest 0) of every stage i (SciPy's A): stage i evaluates the system at
    /// x0 + h·Σ_j a_ij·k_j. Row 12 is b (the solution's weights), read by the FSAL stage.
    static constexpr std::array<std::array<double, n_stages_extended - 1>, n_stages_extended> a{{
        {{}},
        {{0.05260015195876773}},
        {{0.0197250569845379, 0.0591751709536137}},
        {{0.02958758547680685, 0.0, 0.08876275643042054}},
        {{0.2413651341592667, 0.0, -0.8845494793282861, 0.924834003261792}},
        {{0.037037037037037035, 0.0, 0.0, 0.17082860872947386, 0.12546768756682242}},
        {{0.037109375, 0.0, 0.0, 0.17025221101954405, 0.06021653898045596, -0.017578125}},
        {{0.03709200011850479, 0.0, 0.0, 0.17038392571223998, 0.10726203044637328, -0.015319437748624402,
          0.008273789163814023}},
        {{0.6241109587160757, 0.0, 0.0, -3.3608926294469414, -0.868219346841726, 27.59209969944671, 20.154067550477894,
          -43.48988418106996}},
        {{0.47766253643826434, 0.0, 0.0, -2.4881146199716677, -0.590290826836843, 21.230051448181193,
          15.279233632882423, -33.28821096898486, -0.020331201708508627}},
        {{-0.9371424300859873, 0.0, 0.0, 5.186372428844064, 1.0914373489967295, -8.149787010746927, -18.52006565999696,
          22.739487099350505, 2.4936055526796523, -3.0467644718982196}},
        {{2.273310147516538, 0.0, 0.0, -10.53449546673725, -2.0008720582248625, -17.9589318631188, 27.94888452941996,
          -2.8589982771350235, -8.87285693353063, 12.360567175794303, 0.6433927460157636}},
        {{0.054293734116568765, 0.0, 0.0, 0.0, 0.0, 4.450312892752409, 1.8915178993145003, -5.801203960010585,
          0.3111643669578199, -0.1521609496625161, 0.20136540080403034, 0.04471061572777259}},
        {{0.056167502283047954, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25350021021662483, -0.2462390374708025, -0.12419142326381637,
          0.15329179827876568, 0.00820105229563469, 0.007567897660545699, -0.008298}},
        {{0.03183464816350214, 0.0, 0.0, 0.0, 0.0, 0.028300909672366776, 0.053541988307438566, -0.05492374857139099,
          0.0, 0.0, -0.00010834732869724932, 0.0003825710908356584, -0.00034046500868740456, 0.1413124436746325}},
        {{-0.42889630158379194, 0.0, 0.0, 0.0, 0.0, -4.697621415361164, 7.683421196062599, 4.06898981839711,
          0.3567271874552811, 0.0, 0.0, 0.0, -0.0013990241651590145, 2.9475147891527724, -9.15095847217987}},
    }};

    /// b_i: the weights of the 8th-order solution x1 = x0 + h·Σ_i b_i·k_i (row 12 of a).
    static constexpr std::array<double, n_stages> b = [] {
        std::array<double, n_stages> r{};
        for (std::size_t i = 0; i < n_stages; ++i) r[i] = a[n_stages][i];
        return r;
    }();

    /// Weights of the 5th-order error estimate (SciPy's E5, Hairer's er1…er12): err5 = h·Σ e5_i·k_i.
    static constexpr std::array<double, n_stages> e5{{0.01312004499419488, 0.0, 0.0, 0.0, 0.0, -1.2251564463762044,
                                                      -0.4957589496572502, 1.6643771824549864, -0.35032884874997366,
                                                      0.3341791187130175, 0.08192320648511571, -0.022355307863886294}};

    /// Weights of the 3rd-order error estimate (SciPy's E3 = b − (bhh1, bhh2, bhh3 at stages 0, 8,
    /// 11)): err3 = h·Σ e3_i·k_i.
    static constexpr std::array<double, n_stages> e3{{-0.18980075407240762, 0.0, 0.0, 0.0, 0.0, 4.450312892752409,
                                                      1.8915178993145003, -5.801203960010585, -0.4226823213237919,
                                                      -0.1521609496625161, 0.20136540080403034, 0.02265179219836082}};

    /// The dense output's d coefficients (SciPy's D, Hairer's d4j…d7j) over all 16 stages: the
    /// interpolant's F_{3+r} = h·Σ_j d_rj·k_j.
    static constexpr std::array<std::array<double, n_stages_extended>, 4> d{{
        {{-8.428938276109013, 0.0, 0.0, 0.0, 0.0, 0.5667149535193777, -3.0689499459498917, 2.38466765651207,
          2.117034582445028, -0.871391583777973, 2.2404374302607883, 0.6315787787694688, -0.08899033645133331,
          18.148505520854727, -9.194632392478356, -4.436036387594894}},
        {{10.427508642579134, 0.0, 0.0, 0.0, 0.0, 242.28349177525817, 165.20045171727028, -374.5467547226902,
          -22.113666853125306, 7.733432668472264, -30.674084731089398, -9.332130526430229, 15.697238121770845,
          -31.139403219565178, -9.35292435884448, 35.81684148639408}},
        {{19.985053242002433, 0.0, 0.0, 0.0, 0.0, -387.0373087493518, -189.17813819516758, 527.8081592054236,
          -11.57390253995963, 6.8812326946963, -1.0006050966910838, 0.7777137798053443, -2.778205752353508,
          -60.19669523126412, 84.32040550667716, 11.99229113618279}},
        {{-25.69393346270375, 0.0, 0.0, 0.0, 0.0, -154.18974869023643, -231.5293791760455, 357.6391179106141,
          93.40532418362432, -37.45832313645163, 104.0996495089623, 29.8402934266605, -43.53345659001114,
          96.32455395918828, -39.17726167561544, -149.72683625798564}},
    }};

    /// The times, as fractions of h, at which do_step evaluates the system, in evaluation order:
    /// stages 1–11 (c_1…c_11; the last at c = 1) and then the FSAL derivative at c = 1. The first
    /// stage (c = 0) is not evaluated: its derivative is passed in. As stepper.cpp's stage_c
    /// for dopri5; the i-th call is at exactly t + stage_c[i]·h.
    static constexpr std::array<double, n_stages> stage_c = [] {
        std::array<double, n_stages> r{};
        for (std::size_t i = 0; i < n_stages; ++i) r[i] = c[i + 1];
        return r;
    }();

    /// The times, as fractions of h, at which prepare_dense evaluates the system, in order
    /// (c_13, c_14, c_15 = 0.1, 0.2, 7/9): the i-th call is at exactly t + dense_stage_c[i]·h.
    static constexpr std::array<double, 3> dense_stage_c{c[13], c[14], c[15]};

    /// One step of the 8th-order solution from (t, x0), with dxdt0 the derivative at (t, x0).
    /// Calls sys(double x, double& dxdt, double t) 12 times, at t + stage_c[i]·h in order; the
    /// last call is the FSAL derivative at (t + h, x1), returned in dxdt1 (the next step's
    /// dxdt0). err5 and err3 are Hairer's two error estimates, signed and in units of x
    /// (including the factor h): err5 = h·Σ e5_i·k_i (the difference to a 5th-order solution)
    /// and err3 = h·Σ e3_i·k_i (to a 3rd-order one); combine them with error_norm. x0 and dxdt0
    /// are taken by value, so they may alias x1 and dxdt1. h may be negative. Remembers the
    /// step (and forgets any dense output) for prepare_dense; if sys throws, no step is
    /// remembered.
    template <class Sys>
    void do_step(Sys&& sys, double x0, double dxdt0, double t, double& x1, double& dxdt1, double h, double& err5,
                 double& err3) {
        has_step_ = false;
        dense_ready_ = false;
        k_[0] = dxdt0;
        for (std::size_t s = 1; s < n_stages; ++s) sys(x0 + increment(s) * h, k_[s], t + c[s] * h);
        double sum = 0;
        for (std::size_t j = 0; j < n_stages; ++j) sum += b[j] * k_[j];
        const double xn = x0 + h * sum;
        sys(xn, k_[n_stages], t + h);  // FSAL: c_12 = 1
        double s5 = 0, s3 = 0;
        for (std::size_t j = 0; j < n_stages; ++j) s5 += e5[j] * k_[j];
        for (std::size_t j = 0; j < n_stages; ++j) s3 += e3[j] * k_[j];
        t_ = t;
        h_ = h;
        x0_ = x0;
        x1_ = xn;
        has_step_ = true;
        x1 = xn;
        dxdt1 = k_[n_stages];
        err5 = h * s5;
        err3 = h * s3;
    }

    /// The error of a step relative to scale (> 0) as Hairer's DOP853 and SciPy's
    /// DOP853._estimate_error_norm combine err5 and err3 for one component:
    ///   |err5|/scale · |err5| / sqrt(err5² + 0.01·err3²),
    /// 0 when both are 0. Accept the step when it is <= 1. (With hypot for the root, so no
    /// square over- or underflows; SciPy squares err/scale, which agrees to rounding.) A NaN or
    /// infinite estimate gives NaN or +inf, which fails `<= 1`.
    static double error_norm(double err5, double err3, double scale) {
        const double a5 = std::abs(err5);
        const double denom = std::hypot(a5, 0.1 * std::abs(err3));
        if (denom == 0) return 0;
        return a5 / scale * (a5 / denom);
    }

    /// Computes the dense output's 3 extra stages of the last do_step (3 calls of sys, at
    /// t + dense_stage_c[i]·h in order) and the interpolant's coefficients. Call it after an
    /// accepted step, before the next do_step, with the same system. A no-op when the dense
    /// output is ready already; without a step (none yet, or sys threw in do_step) it does
    /// nothing (and asserts in debug builds). If sys throws, the dense output stays not ready.
    template <class Sys>
    void prepare_dense(Sys&& sys) {
        assert(has_step_ && "Dop853::prepare_dense before do_step");
        if (!has_step_ || dense_ready_) return;
        for (std::size_t s = n_stages + 1; s < n_stages_extended; ++s)
            sys(x0_ + increment(s) * h_, k_[s], t_ + c[s] * h_);
        const double dy = x1_ - x0_;
        f_[0] = dy;
        f_[1] = h_ * k_[0] - dy;
        f_[2] = 2 * dy - h_ * (k_[n_stages] + k_[0]);
        for (std::size_t r = 0; r < d.size(); ++r) {
            double sum = 0;
            for (std::size_t j = 0; j < n_stages_extended; ++j) sum += d[r][j] * k_[j];
            f_[3 + r] = h_ * sum;
        }
        dense_ready_ = true;
    }

    /// True once prepare_dense has run for the last step (do_step resets it).
    bool dense_ready() const { return dense_ready_; }

    /// The 7th-order dense output of the last step at tq in [t, t + h]: with θ = (tq − t)/h,
    ///   x0 + θ·(F0 + (1−θ)·(F1 + θ·(F2 + (1−θ)·(F3 + θ·(F4 + (1−θ)·(F5 + θ·F6)))))),
    /// x0 at tq = t and x1 at tq = t + h (as do_step computed t + h) exactly. Only after
    /// prepare_dense: before it, asserts in debug builds and returns NaN otherwise.
    double calc_state(double tq) const {
        assert(dense_ready_ && "Dop853::calc_state before prepare_dense");
        if (!dense_ready_) return std::numeric_limits<double>::quiet_NaN();
        if (tq == t_ + h_) return x1_;
        const double x = (tq - t_) / h_;
        double y = 0;
        for (std::size_t i = f_.size(); i-- > 0;) {
            y += f_[i];
            y *= i % 2 == 0 ? x : 1 - x;
        }
        return y + x0_;
    }

private:
    /// Σ_{j<s} a_sj·k_j: stage s's increment of x, divided by h.
    double increment(std::size_t s) const {
        double sum = 0;
        for (std::size_t j = 0; j < s; ++j) sum += a[s][j] * k_[j];
        return sum;
    }

    std::array<double, n_stages_extended> k_{};  ///< the stages' derivatives k_i (12: FSAL)
    std::array<double, 7> f_{};                  ///< the interpolant's coefficients F0…F6
    double t_ = 0;                               ///< the last step's start
    double h_ = 0;                               ///< the last step's size
    double x0_ = 0;                              ///< the last step's initial value
    double x1_ = 0;                              ///< the last step's result
    bool has_step_ = false;                      ///< a step is remembered (do_step completed)
    bool dense_ready_ = false;                   ///< prepare_dense has run for that step
};

}  // namespace racesim
