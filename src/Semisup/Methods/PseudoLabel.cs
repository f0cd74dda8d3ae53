using Semisup.Data;
using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Pseudo-labels (Lee 2013): each unlabeled image takes the class the clean network predicts for it as
/// its target, when that prediction's probability reaches <paramref name="Threshold"/>; cross-entropy of the noisy
/// path against those targets is added with a weight that is 0 until <paramref name="RampStart"/>, rises linearly
/// to <paramref name="FinalWeight"/> at <paramref name="RampEnd"/> (epochs), and stays there.
/// With <paramref name="AugmentNoisy"/> the noisy pass sees the unlabeled images augmented while the targets come from
/// them as they are, as FixMatch (Sohn et al. 2020) pairs a weakly and a strongly altered view.</summary>
public sealed record PseudoLabel(double FinalWeight = 3, double RampStart = 10, double RampEnd = 100, double Threshold = 0.95, Augment? AugmentNoisy = null) : IMethod
{
    public double Weight(double epoch) =>
        epoch <= RampStart ? 0 : epoch >= RampEnd ? FinalWeight : FinalWeight * (epoch - RampStart) / (RampEnd - RampStart);

    public StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at)
    {
        long nl = labeled.shape[0];
        var seen = AugmentNoisy?.Apply(unlabeled) ?? unlabeled;
        var noisy = model.Noisy(cat([labeled, seen], 0));
        var supervised = functional.cross_entropy(noisy[..(int)nl], labels);
        Tensor targets, confident;
        using (no_grad())
        {
            var probabilities = functional.softmax(model.call(unlabeled), 1);
            var (best, index) = probabilities.max(1);
            (targets, confident) = (index, best.ge(Threshold).to_type(ScalarType.Float32));
        }
        // Mean over the whole unlabeled batch: unconfident images contribute 0.
        var unsupervised = (functional.cross_entropy(noisy[(int)nl..], targets, reduction: Reduction.None) * confident).mean();
        return new(supervised + Weight(at.Epochs) * unsupervised, supervised, unsupervised);
    }
}
