using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

/// <summary>A classifier small enough to compute by hand: logits = W · pixels, the same on both paths.</summary>
sealed class LinearClassifier : Classifier
{
    public readonly TorchSharp.Modules.Parameter Weight;

    public LinearClassifier(Tensor weight) : base(nameof(LinearClassifier))
    {
        Weight = new TorchSharp.Modules.Parameter(weight.clone());
        register_parameter("weight", Weight);
    }

    public override int Classes => (int)Weight.shape[0];
    public override Tensor forward(Tensor x) => x.flatten(1).matmul(Weight.t());
    public override Tensor Noisy(Tensor x) => forward(x);
}

public class FixMatchTests
{
    // No augmentation at all: the weak and strong views are the images themselves, so the loss can be written down.
    static readonly Augment Identity = new(RotationDegrees: 0, Shift: 0) { Strong = new Augment(RotationDegrees: 0, Shift: 0) };

    /// <summary>Two pixels, two classes: image (a, b) gets logits (a, b).</summary>
    static (LinearClassifier Model, Tensor Labeled, Tensor Labels, Tensor Unlabeled) Tiny()
    {
        var model = new LinearClassifier(eye(2).reshape(2, 2));
        var labeled = tensor(new float[] { 2, 0 }).reshape(1, 1, 1, 2);
        var labels = tensor(new long[] { 0 });
        // Confident (p = 0.982 for class 1) and unsure (p = 0.562 for class 0).
        var unlabeled = tensor(new float[] { 0, 4, 0.25f, 0 }).reshape(2, 1, 1, 2);
        return (model, labeled, labels, unlabeled);
    }

    static double Ce(double a, double b, int label) => -Math.Log(Math.Exp(label == 0 ? a : b) / (Math.Exp(a) + Math.Exp(b)));

    [Fact]
    public void The_loss_is_the_hand_computed_value()
    {
        var (model, x, y, u) = Tiny();
        var loss = new FixMatch(Threshold: 0.9, UnsupervisedWeight: 2).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        double supervised = Ce(2, 0, 0);
        // Only the first unlabeled image passes τ = 0.9; the mean is over both.
        double unsupervised = (Ce(0, 4, 1) + 0) / 2;
        Assert.Equal(supervised, loss.Supervised!.item<float>(), 5);
        Assert.Equal(unsupervised, loss.Unsupervised!.item<float>(), 5);
        Assert.Equal(supervised + 2 * unsupervised, loss.Total.item<float>(), 5);
    }

    [Fact]
    public void Label_smoothing_changes_the_supervised_targets_only()
    {
        var (model, x, y, u) = Tiny();
        var plain = new FixMatch(Threshold: 0.9).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        var smoothed = new FixMatch(Threshold: 0.9, LabelSmoothing: 0.2).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        // Targets (1 − 0.2) (1, 0) + 0.2 / 2 = (0.9, 0.1) on logits (2, 0).
        Assert.Equal(0.9 * Ce(2, 0, 0) + 0.1 * Ce(2, 0, 1), smoothed.Supervised!.item<float>(), 5);
        Assert.Equal(plain.Unsupervised!.item<float>(), smoothed.Unsupervised!.item<float>());
        Assert.Contains("labelSmoothing: 1 must be in [0, 1)", new FixMatch(LabelSmoothing: 1).Problems());
    }

    [Fact]
    public void Distribution_alignment_divides_by_the_running_mean_before_the_threshold()
    {
        var (model, x, y, u) = Tiny();
        double[] q0 = [1 / (1 + Math.Exp(4)), 1 / (1 + Math.Exp(-4))], q1 = [1 / (1 + Math.Exp(-0.25)), 1 / (1 + Math.Exp(0.25))];
        double[] mean = [(q0[0] + q1[0]) / 2, (q0[1] + q1[1]) / 2];
        // Aligned u0: q0 / mean, normalised: class 1 falls from 0.982 to 0.957, under τ = 0.96, so nothing passes.
        double aligned = q0[1] / mean[1] / (q0[0] / mean[0] + q0[1] / mean[1]);
        Assert.InRange(aligned, 0.95, 0.96);
        var method = new FixMatch(Threshold: 0.96, DistributionAlignment: true, AlignmentMomentum: 0.9);
        var state = new MethodState();
        var first = method.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity) { State = state });
        Assert.Equal(0f, first.Unsupervised!.item<float>());
        Assert.Equal(mean, state.Values, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(Ce(0, 4, 1) / 2, new FixMatch(Threshold: 0.96).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)).Unsupervised!.item<float>(), 5);
        // At τ = 0.95 the aligned u0 passes; u1 (0.562 for class 0, aligned 0.758) still does not.
        var looser = method with { Threshold = 0.95 };
        Assert.Equal(Ce(0, 4, 1) / 2, looser.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity) { State = new MethodState() }).Unsupervised!.item<float>(), 5);
        // Later batches move the mean by (1 − m) towards theirs: a batch of u1 alone.
        method.Loss(model, new Batch(x, y, u[1..], new Progress(1, 1, 1), Identity) { State = state });
        Assert.Equal(0.9 * mean[0] + 0.1 * q1[0], state.Values[0], 6);
        Assert.Contains("alignmentMomentum: 1 must be in [0, 1)", new FixMatch(AlignmentMomentum: 1).Problems());
        Assert.Throws<SemisupException>(() => method.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)));
    }

    [Fact]
    public void The_mutual_information_term_is_iics_computed_by_hand()
    {
        // Certain, agreeing and balanced: −log C. Uniform: nothing shared, 0.
        Assert.Equal(-Math.Log(3), FixMatch.MutualInformation(eye(3), eye(3)).item<float>(), 5);
        Assert.Equal(0, FixMatch.MutualInformation(full(4, 2, 0.5f), full(4, 2, 0.5f)).item<float>(), 6);
        // Two images, two classes, by hand: P = (p0 p0'ᵀ + p1 p1'ᵀ) / 2, symmetrised.
        double[][] p = [[0.8, 0.2], [0.3, 0.7]], q = [[0.6, 0.4], [0.1, 0.9]];
        var joint = new double[2, 2];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) joint[i, j] = (p[0][i] * q[0][j] + p[1][i] * q[1][j]) / 2;
        var sym = new double[2, 2];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) sym[i, j] = (joint[i, j] + joint[j, i]) / 2;
        double expected = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                expected -= sym[i, j] * Math.Log(sym[i, j] / ((sym[i, 0] + sym[i, 1]) * (sym[0, j] + sym[1, j])));
        var pt = tensor(p.SelectMany(r => r.Select(v => (float)v)).ToArray()).reshape(2, 2);
        var qt = tensor(q.SelectMany(r => r.Select(v => (float)v)).ToArray()).reshape(2, 2);
        Assert.Equal(expected, FixMatch.MutualInformation(pt, qt).item<float>(), 5);
        Assert.Contains("mutualInformationWeight: needs pseudoLabels batch (the weak view's pass with gradient)",
            new FixMatch(MutualInformationWeight: 1, PseudoLabels: "model").Problems());
    }

    [Fact]
    public void The_mutual_information_term_adds_its_weight_times_iic_and_reaches_the_weak_view()
    {
        var (model, x, y, u) = Tiny();
        var plain = new FixMatch(Threshold: 0.9).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        var with = new FixMatch(Threshold: 0.9, MutualInformationWeight: 0.5).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        // Both views are the images themselves here.
        var pu = nn.functional.softmax(model.call(u), 1);
        Assert.Equal(plain.Total.item<float>() + 0.5 * FixMatch.MutualInformation(pu, pu).item<float>(), with.Total.item<float>(), 5);
        // Without the term the weak view is a constant; with it, the gradient differs from the strong view's alone.
        plain.Total.backward();
        var g0 = model.Weight.grad!.clone();
        model.zero_grad();
        with.Total.backward();
        Assert.False(g0.allclose(model.Weight.grad!), "the mutual information has a gradient");
    }

    [Fact]
    public void An_image_under_the_threshold_contributes_exactly_zero()
    {
        var (model, x, y, u) = Tiny();
        var method = new FixMatch(Threshold: 0.9);
        var both = method.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)).Unsupervised!.item<float>();
        // Changing the unsure image in any way that keeps it unsure leaves the loss exactly as it was.
        using var changed = u.clone();
        changed[1, 0, 0, 0] = tensor(0.1f);
        changed[1, 0, 0, 1] = tensor(0.3f);
        Assert.Equal(both, method.Loss(model, new Batch(x, y, changed, new Progress(1, 0, 1), Identity)).Unsupervised!.item<float>());
        // And its gradient is zero: only the confident image's row of W moves from the unsupervised part.
        model.zero_grad();
        var loss = method.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)).Unsupervised!;
        loss.backward();
        // d/dW of CE(W·u0, 1)/2 only: u0 = (0, 4), so column 0 of the gradient is zero.
        var grad = model.Weight.grad!.data<float>().ToArray();
        Assert.Equal(0f, grad[0]);
        Assert.Equal(0f, grad[2]);
        Assert.NotEqual(0f, grad[1]);
        // τ = 1 accepts nothing (no probability of two finite logits reaches 1): the unsupervised part is exactly 0.
        Assert.Equal(0f, new FixMatch(Threshold: 1).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)).Unsupervised!.item<float>());
    }

    [Fact]
    public void No_gradient_flows_through_the_pseudo_label()
    {
        var (model, x, y, u) = Tiny();
        var method = new FixMatch(Threshold: 0.5, UnsupervisedWeight: 1);
        var loss = method.Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity)).Unsupervised!;
        loss.backward();
        var fromMethod = model.Weight.grad!.clone();
        // By hand: the targets and the mask as constants, the gradient only through the strong view's logits.
        model.zero_grad();
        var targets = tensor(new long[] { 1, 0 });
        var byHand = nn.functional.cross_entropy(model.call(u), targets);
        byHand.backward();
        Assert.True(fromMethod.allclose(model.Weight.grad!, rtol: 1e-6, atol: 1e-7), "the pseudo-label and its confidence are constants");
    }

    /// <summary>A classifier whose evaluation mode swaps the two logits, so a test can tell which mode predicted.</summary>
    sealed class ModeClassifier(Tensor weight) : Classifier(nameof(ModeClassifier))
    {
        readonly LinearClassifier inner = new(weight);
        public override int Classes => 2;
        public override Tensor forward(Tensor x) => training ? inner.call(x) : inner.call(x).flip(1);
        public override Tensor Noisy(Tensor x) => inner.call(x);
        public TorchSharp.Modules.Parameter Weight => inner.Weight;
    }

    [Fact]
    public void Pseudo_labels_from_the_model_in_evaluation_mode_are_its_evaluation_predictions_and_it_goes_back_to_training()
    {
        var (_, x, y, u) = Tiny();
        using var model = new ModeClassifier(eye(2));
        model.train();
        var loss = new FixMatch(Threshold: 0.9, PseudoLabels: "model").Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        Assert.True(model.training);
        // In evaluation mode u0 = (0, 4) gets logits (4, 0): class 0 with p = 0.982; the student (training mode) sees (0, 4).
        Assert.Equal(Ce(0, 4, 0) / 2, loss.Unsupervised!.item<float>(), 5);
        Assert.Equal(Ce(2, 0, 0), loss.Supervised!.item<float>(), 5);
    }

    [Fact]
    public void Pseudo_labels_from_the_teacher_are_the_teachers_and_the_teacher_gets_no_gradient()
    {
        var (model, x, y, u) = Tiny();
        // The teacher swaps the classes: it labels u0 = (0, 4) class 0 with p = 0.982.
        using var teacher = new LinearClassifier(tensor(new float[] { 0, 1, 1, 0 }).reshape(2, 2));
        teacher.eval();
        var loss = new FixMatch(Threshold: 0.9, PseudoLabels: "teacher").Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity) { Teacher = teacher });
        Assert.Equal(Ce(0, 4, 0) / 2, loss.Unsupervised!.item<float>(), 5);
        loss.Total.backward();
        Assert.NotNull(model.Weight.grad);
        Assert.Null(teacher.Weight.grad);
    }

    [Fact]
    public void Teacher_pseudo_labels_need_a_weight_average_and_a_recipe_says_so()
    {
        const string Recipe = """{ "method": { "kind": "fixmatch", "pseudoLabels": "teacher" }, "augmentation": { "strong": { "cutout": 8 } } }""";
        var e = Assert.Throws<SemisupException>(() => Semisup.Recipes.RecipeFile.Parse(Recipe, "test").Validate());
        Assert.Contains("method.pseudoLabels: teacher needs a weight average; give run.emaDecay, e.g. 0.999", e.Message);
        Semisup.Recipes.RecipeFile.Parse(Recipe, "test", ["run.emaDecay=0.999"]).Validate();
        e = Assert.Throws<SemisupException>(() => Semisup.Recipes.RecipeFile.Parse(Recipe.Replace("teacher", "oracle"), "test").Validate());
        Assert.Contains("method.pseudoLabels: 'oracle' is not one of batch, model, teacher", e.Message);
    }

    [Fact]
    public void Fixmatch_needs_a_strong_augmentation_and_a_recipe_says_so()
    {
        var e = Assert.Throws<SemisupException>(() => Semisup.Recipes.RecipeFile.Parse("""{ "method": { "kind": "fixmatch" } }""", "test").Validate());
        Assert.Contains("augmentation.strong: the fixmatch method needs a strong augmentation", e.Message);
        var r = Semisup.Recipes.RecipeFile.Parse("""{ "method": { "kind": "fixmatch", "threshold": 0.9 }, "augmentation": { "shift": 2, "strong": { "shear": 0.3, "cutout": 10 } } }""", "test").Validate();
        Assert.Equal(new FixMatch(Threshold: 0.9), r.Method);
        Assert.Equal(new Augment(Shear: 0.3, Cutout: 10), r.Augmentation.Strong);
    }
}
