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
        var loss = new FixMatch(Threshold: 0.9).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        double supervised = Ce(2, 0, 0);
        // Only the first unlabeled image passes τ = 0.9; the mean is over both.
        double unsupervised = (Ce(0, 4, 1) + 0) / 2;
        Assert.Equal(supervised, loss.Supervised!.item<float>(), 5);
        Assert.Equal(unsupervised, loss.Unsupervised!.item<float>(), 5);
        Assert.Equal(supervised + unsupervised, loss.Total.item<float>(), 5);
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
        Assert.Contains("mutualInformationWeight: -1 must not be negative", new FixMatch(MutualInformationWeight: -1).Problems());
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
        var method = new FixMatch(Threshold: 0.5);
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
