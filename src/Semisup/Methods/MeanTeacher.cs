using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Mean Teacher (Tarvainen and Valpola 2017): ℓ = ℓ_s + w(t) · (1/C) ‖σ(f_θ(x, η)) − σ(f_θ'(x, η'))‖² averaged
/// over the batch, where the student f_θ sees the images with its noise η (the noisy path of an augmented view),
/// the teacher f_θ' is the exponential moving average of the student's weights, θ' ← αθ' + (1 − α)θ after every step,
/// and sees another augmented view η' of the unlabeled images (the labeled ones as the student does) with no gradient. w(t) = w · exp(−5(1 − t/T)²) ramps up over the first T epochs,
/// as the paper's sigmoid ramp-up. The consistency is on the unlabeled images and the labeled ones alike.</summary>
/// <param name="ConsistencyWeight">w, for the softmax mean squared error (the official code's default is 100 on CIFAR-10).</param>
/// <param name="RampUpEpochs">T.</param>
/// <param name="EmaDecay">α (the official code: 0.999 after its ramp-up; the trainer caps it at 1 − 1/(step + 1) early on).</param>
public sealed record MeanTeacher(double ConsistencyWeight = 100, double RampUpEpochs = 5, double EmaDecay = 0.999) : IMethod
{
    public double? TeacherDecay => EmaDecay;

    public double Weight(double epochs) =>
        RampUpEpochs <= 0 ? ConsistencyWeight : ConsistencyWeight * Math.Exp(-5 * Math.Pow(1 - Math.Clamp(epochs / RampUpEpochs, 0, 1), 2));

    public StepLoss Loss(Classifier model, Batch b)
    {
        var teacher = b.Teacher ?? throw new SemisupException("The mean-teacher method needs its teacher, the weight average.");
        int nl = (int)b.Labeled.shape[0];
        var student = model.Noisy(cat([b.Labeled, b.Augmentation.Apply(b.Unlabeled)], 0));
        var supervised = functional.cross_entropy(student[..nl], b.Labels);
        Tensor target;
        using (no_grad()) target = functional.softmax(teacher.call(cat([b.Labeled, b.Augmentation.Apply(b.Unlabeled)], 0)), 1);
        var consistency = functional.mse_loss(functional.softmax(student, 1), target);
        return new(supervised + Weight(b.At.Epochs) * consistency, supervised, consistency);
    }

    public IEnumerable<string> Problems()
    {
        if (ConsistencyWeight < 0) yield return $"consistencyWeight: {ConsistencyWeight} must not be negative";
        if (RampUpEpochs < 0) yield return $"rampUpEpochs: {RampUpEpochs} must not be negative";
        if (EmaDecay is <= 0 or >= 1) yield return $"emaDecay: {EmaDecay} must be in (0, 1)";
    }
}
