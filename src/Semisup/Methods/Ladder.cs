using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The ladder network's cost (Rasmus et al. 2015): cross-entropy of the corrupted path on the labeled images,
/// plus Σ_l λ_l ‖ẑ_l,BN − z_l‖² / width_l averaged over all images (labeled and unlabeled), where z_l is the clean
/// pass's normalised value and ẑ_l,BN = (ẑ_l − μ_l) / σ_l normalises the reconstruction with the clean pass's batch
/// mean and standard deviation (the detail the lab suspected it got wrong). λ runs from the input up; λ only at the
/// top is the MLP Γ-model, and then the decoder stops at the top layer.</summary>
/// <param name="DenoisingCosts">λ_l per layer from the input up; the paper's values for 100 labels.</param>
public sealed record Ladder(double[] DenoisingCosts) : IMethod
{
    public static readonly double[] PaperCosts = [1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1];

    public Ladder() : this(PaperCosts) { }

    public IEnumerable<string> Problems()
    {
        if (DenoisingCosts.Any(c => !(c >= 0))) yield return "denoisingCosts: every λ must be finite and not negative";
    }

    public StepLoss Loss(Classifier model, Batch b)
    {
        var (labeled, labels, unlabeled) = (b.Labeled, b.Labels, b.Unlabeled);
        var ladder = model as LadderNet ?? throw new SemisupException("The ladder method needs a ladder network (LadderNet).");
        if (DenoisingCosts.Length != ladder.Depth + 1)
            throw new SemisupException($"denoisingCosts: {DenoisingCosts.Length} values for a ladder of {ladder.Depth + 1} layers (input included); give one λ per layer.");
        int nl = (int)labeled.shape[0];
        var x = cat([labeled, unlabeled], 0);
        var clean = ladder.Encode(x, corrupted: false, nl);
        var corrupted = ladder.Encode(x, corrupted: true, nl);
        var supervised = functional.cross_entropy(corrupted.Logits[..nl], labels);
        int lowest = Array.FindIndex(DenoisingCosts, c => c > 0);
        if (lowest < 0) return new(supervised, supervised, zeros(1).squeeze());
        var zHat = ladder.Decode(corrupted, lowest, nl);
        var denoising = zeros(1).squeeze();
        for (int l = lowest; l <= ladder.Depth; l++)
        {
            if (DenoisingCosts[l] == 0) continue;
            var normalised = (zHat[l]! - clean.Mean[l]) / clean.Std[l];
            denoising = denoising + DenoisingCosts[l] * (normalised - clean.Z[l]).pow(2).sum(1).mean() / clean.Z[l].shape[1];
        }
        return new(supervised + denoising, supervised, denoising);
    }
}
