using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>Weight initialisations of the lab (section 2.3). Weights of convolutions and linear layers are drawn;
/// biases are set to 0; batch-norm layers (names starting "bn") keep β = 0 and the γ of <see cref="BatchNormScales"/>.</summary>
public static class Init
{
    public static readonly string[] Names = ["uniform", "xavier", "he"];

    /// <param name="name">uniform: U(−a, a); xavier: U(±√6/√(n_in + n_out)); he: N(0, √(2/n_in)).</param>
    /// <param name="range">a, for uniform.</param>
    public static void Apply(nn.Module module, string name, double range = 0.1)
    {
        if (!Names.Contains(name)) throw new SemisupException($"Unknown initialisation '{name}'. Known: {string.Join(", ", Names)}.");
        if (name == "uniform" && range <= 0) throw new SemisupException($"uniform initialisation range {range}: must be positive.");
        using var _ = no_grad();
        foreach (var (param, p) in module.named_parameters())
        {
            if (param.StartsWith("bn")) continue;
            if (param.EndsWith("bias")) { p.zero_(); continue; }
            var (fanIn, fanOut) = Fans(p);
            switch (name)
            {
                case "uniform": p.uniform_(-range, range); break;
                case "xavier": var bound = Math.Sqrt(6.0 / (fanIn + fanOut)); p.uniform_(-bound, bound); break;
                case "he": p.normal_(0, Math.Sqrt(2.0 / fanIn)); break;
            }
        }
    }

    public static readonly string[] BatchNormScaleNames = ["ones", "uniform01", "uniform"];

    /// <summary>Sets every batch-norm scale γ (parameters "bn*.weight"). ones: the batch-norm paper's γ = 1 (PyTorch since
    /// 1.0); uniform01: U(0, 1), PyTorch's default before 1.0 (pytorch/pytorch#12259), so the lab's in 2017; uniform:
    /// U(−range, range), the lab's "all our weights" read literally.</summary>
    public static void BatchNormScales(nn.Module module, string how, double range = 0.1)
    {
        if (!BatchNormScaleNames.Contains(how)) throw new SemisupException($"Unknown batch-norm scale initialisation '{how}'. Known: {string.Join(", ", BatchNormScaleNames)}.");
        using var _ = no_grad();
        foreach (var (param, p) in module.named_parameters().Where(np => np.name.StartsWith("bn") && np.name.EndsWith("weight")))
        {
            switch (how)
            {
                case "ones": p.fill_(1); break;
                case "uniform01": p.uniform_(0, 1); break;
                case "uniform": p.uniform_(-range, range); break;
            }
        }
    }

    /// <summary>n_l and n_{l+1} of a weight: inputs and outputs per unit, times the kernel size for convolutions.</summary>
    public static (long FanIn, long FanOut) Fans(Tensor weight)
    {
        long receptive = weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        return (weight.shape[1] * receptive, weight.shape[0] * receptive);
    }
}
