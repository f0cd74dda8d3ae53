using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>Weight initialisation of the lab: weights Uniform(−a, a), biases 0 (BN layers keep γ=1, β=0).</summary>
public static class Init
{
    public static void Uniform(nn.Module module, double range)
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.Contains("bn")) continue;
            if (name.EndsWith("bias")) p.zero_();
            else p.uniform_(-range, range);
        }
    }
}
