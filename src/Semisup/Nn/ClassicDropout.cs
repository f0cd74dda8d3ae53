using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>Dropout as the lab describes it (Srivastava et al. 2014): at training each unit is kept with
/// probability q = 1 − p and not rescaled; at test every output is scaled by q. libtorch's own dropout is the
/// inverted form (kept units scaled by 1/q at training, nothing at test). Both have the same expected output at
/// training as at test, up to the constant factor q.</summary>
public sealed class ClassicDropout : nn.Module<Tensor, Tensor>
{
    public double P { get; }

    public ClassicDropout(double p) : base(nameof(ClassicDropout))
    {
        if (p is < 0 or >= 1) throw new SemisupException($"dropout {p}: must be in [0, 1).");
        P = p;
    }

    public override Tensor forward(Tensor x) =>
        training ? x * bernoulli(full_like(x, 1 - P)) : x * (1 - P);
}
