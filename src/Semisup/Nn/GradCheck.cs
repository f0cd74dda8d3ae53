using static TorchSharp.torch;

namespace Semisup.Nn;

public sealed record GradCheckResult(string Name, double MaxAbsVsFiniteDifferences, double MaxRelVsFiniteDifferences,
    double MaxAbsVsAutograd, double MaxRelVsAutograd, bool Passed);

/// <summary>Checks a hand-derived backward in float64 against central finite differences and against libtorch's
/// autograd of the built-in function, on random inputs that include large magnitudes. Errors are relative to the
/// largest gradient entry, so saturated regions (gradients near 0) do not blow the ratio up.</summary>
public static class GradCheck
{
    public const double FiniteDifferenceTolerance = 1e-6, AutogradTolerance = 1e-10;

    public static IReadOnlyList<GradCheckResult> All(ulong seed = 0) =>
    [
        Check("sigmoid", Activations.Get("sigmoid", true), Activations.Get("sigmoid", false), seed),
        Check("tanh", Activations.Get("tanh", true), Activations.Get("tanh", false), seed),
        Check("relu", Activations.Get("relu", true), Activations.Get("relu", false), seed),
        Check("leaky_relu(0.1)", Activations.Get("leaky_relu", true, 0.1), Activations.Get("leaky_relu", false, 0.1), seed),
        Check("softmax(β=1)", Activations.Get("softmax", true, 1), Activations.Get("softmax", false, 1), seed),
        Check("softmax(β=2.5)", Activations.Get("softmax", true, 2.5), Activations.Get("softmax", false, 2.5), seed),
    ];

    public static GradCheckResult Check(string name, Func<Tensor, Tensor> hand, Func<Tensor, Tensor> builtin, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(seed);
        // Rows of moderate values, plus one row of large magnitudes (softmax must not overflow, sigmoid saturates).
        var x = cat([randn(4, 7, dtype: ScalarType.Float64, generator: generator) * 3,
                     (rand(1, 7, dtype: ScalarType.Float64, generator: generator) * 2 - 1) * 500], 0);
        x = where(x.abs() < 1e-3, x.sign() * 1e-3 + 1e-3, x); // keep finite differences off ReLU's kink
        var w = randn(x.shape, dtype: ScalarType.Float64, generator: generator); // L(x) = Σ w ⊙ f(x)

        Tensor Gradient(Func<Tensor, Tensor> f)
        {
            var leaf = x.detach().requires_grad_();
            (w * f(leaf)).sum().backward();
            return leaf.grad!.detach().clone();
        }
        var handGrad = Gradient(hand);
        var autogradGrad = Gradient(builtin);

        const double h = 1e-6;
        var flat = x.detach().flatten();
        var numeric = zeros_like(flat);
        using (no_grad())
            for (long i = 0; i < flat.shape[0]; i++)
            {
                var plus = flat.clone(); plus[i] += h;
                var minus = flat.clone(); minus[i] -= h;
                numeric[i] = ((w * builtin(plus.reshape(x.shape))).sum() - (w * builtin(minus.reshape(x.shape))).sum()) / (2 * h);
            }
        numeric = numeric.reshape(x.shape);

        (double Abs, double Rel) Error(Tensor reference)
        {
            double abs = (handGrad - reference).abs().max().item<double>();
            return (abs, abs / Math.Max(reference.abs().max().item<double>(), 1e-12));
        }
        var (fdAbs, fdRel) = Error(numeric);
        var (agAbs, agRel) = Error(autogradGrad);
        return new(name, fdAbs, fdRel, agAbs, agRel, fdRel <= FiniteDifferenceTolerance && agRel <= AutogradTolerance);
    }
}
