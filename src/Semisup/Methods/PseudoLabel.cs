using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Pseudo-labels (Lee 2013; lab section 3.2.1): each unlabeled image takes the class the clean network
/// predicts for it as its target, when that prediction's probability reaches <paramref name="Threshold"/>;
/// cross-entropy of the noisy path against those targets is added with a weight α(t) that is 0 until
/// <paramref name="RampStart"/>, rises linearly to <paramref name="UnsupervisedWeight"/> at <paramref name="RampEnd"/>
/// (epochs), and stays there.</summary>
/// <param name="AugmentUnlabeled">The noisy pass sees the unlabeled images augmented while the targets come from them
/// as they are, as FixMatch (Sohn et al. 2020) pairs a weakly and a strongly altered view.</param>
public sealed record PseudoLabel(double UnsupervisedWeight = 1.0, double RampStart = 10, double RampEnd = 100, double Threshold = 0.95, bool AugmentUnlabeled = false) : IMethod
{
    public double Weight(double epoch) =>
        epoch <= RampStart ? 0 : epoch >= RampEnd ? UnsupervisedWeight : UnsupervisedWeight * (epoch - RampStart) / (RampEnd - RampStart);

    public StepLoss Loss(Classifier model, Batch b)
    {
        long nl = b.Labeled.shape[0];
        var seen = AugmentUnlabeled ? b.Augmentation.Apply(b.Unlabeled) : b.Unlabeled;
        var noisy = model.Noisy(cat([b.Labeled, seen], 0));
        var supervised = functional.cross_entropy(noisy[..(int)nl], b.Labels);
        Tensor targets, confident;
        using (no_grad())
        {
            var probabilities = functional.softmax(model.call(b.Unlabeled), 1);
            var (best, index) = probabilities.max(1);
            (targets, confident) = (index, best.ge(Threshold).to_type(ScalarType.Float32));
        }
        // Mean over the whole unlabeled batch: unconfident images contribute 0.
        var unsupervised = (functional.cross_entropy(noisy[(int)nl..], targets, reduction: Reduction.None) * confident).mean();
        return new(supervised + Weight(b.At.Epochs) * unsupervised, supervised, unsupervised);
    }

    public IEnumerable<string> Problems()
    {
        if (UnsupervisedWeight < 0) yield return $"unsupervisedWeight: {UnsupervisedWeight} must not be negative";
        if (RampStart < 0 || RampEnd <= RampStart) yield return $"rampStart, rampEnd: need 0 <= rampStart ({RampStart}) < rampEnd ({RampEnd})";
        if (Threshold is < 0 or > 1) yield return $"threshold: {Threshold} must be in [0, 1]";
    }
}
