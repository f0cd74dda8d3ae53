using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>SimCLR (Chen et al. 2020), self-supervised pretraining that uses no label: each of N unlabeled images gets
/// two strong views (augmentation.strong), z = g(view) / ‖g(view)‖ with g the model's embedding, and
/// ℓ = (1/2N) Σ_i −log( exp(z_i·z_p(i) / T) / Σ_{k≠i} exp(z_i·z_k / T) ), p(i) the other view of the same image: each
/// view must pick out its partner among the 2N − 1 others. A later run starts from the result with model.warmStart
/// (SelfMatch, Kim et al. 2021, then trains FixMatch), so the features group images by shape before any pseudo-label
/// can confirm a first guess.</summary>
/// <param name="Temperature">T (SimCLR's CIFAR-10 setting: 0.5).</param>
public sealed record SimClr(double Temperature = 0.5) : IMethod
{
    public StepLoss Loss(Classifier model, Batch b)
    {
        var strong = b.Augmentation.Strong ?? throw new SemisupException("The simclr method needs augmentation.strong.");
        int n = (int)b.Unlabeled.shape[0];
        var z = functional.normalize(model.Embed(cat([strong.Apply(b.Unlabeled), strong.Apply(b.Unlabeled)], 0)), dim: 1);
        // A view is never its own candidate: −1e9 rather than −∞ keeps the masked entries finite.
        var similarity = (z.matmul(z.t()) / Temperature).masked_fill(eye(2 * n, dtype: ScalarType.Bool), -1e9);
        var partner = cat([arange(n, 2 * n), arange(0, n)]);
        var loss = functional.cross_entropy(similarity, partner);
        return new(loss, null, loss);
    }

    public IEnumerable<string> Problems()
    {
        if (!(Temperature > 0)) yield return $"temperature: {Temperature} must be positive";
    }
}
