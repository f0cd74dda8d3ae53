using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class SimClrTests
{
    /// <summary>Embeds an image as its pixels times W, so the test knows every embedding.</summary>
    sealed class LinearEmbedding(Tensor weight) : Classifier(nameof(LinearEmbedding))
    {
        readonly LinearClassifier inner = new(weight);
        public override int Classes => 2;
        public override Tensor forward(Tensor x) => inner.call(x);
        public override Tensor Noisy(Tensor x) => inner.call(x);
        public override Tensor Embed(Tensor x) => inner.call(x);
        public TorchSharp.Modules.Parameter Weight => inner.Weight;
    }

    static readonly Augment Identity = new(RotationDegrees: 0, Shift: 0) { Strong = new Augment(RotationDegrees: 0, Shift: 0) };

    [Fact]
    public void The_loss_is_the_contrastive_loss_computed_plainly()
    {
        double[][] pixels = [[1, 0.5], [-0.3, 2], [0.7, -1.2]];
        var images = tensor(pixels.SelectMany(p => p.Select(v => (float)v)).ToArray()).reshape(3, 1, 1, 2);
        using var model = new LinearEmbedding(eye(2));
        const double T = 0.5;
        var loss = new SimClr(T).Loss(model, new Batch(zeros(1, 1, 1, 2), tensor(new long[] { 0 }), images, new Progress(1, 0, 1), Identity));

        // Both views of an image are the image (no augmentation): 6 unit vectors, view i's partner is i ± 3.
        var z = pixels.Concat(pixels).Select(p => { double n = Math.Sqrt(p[0] * p[0] + p[1] * p[1]); return new[] { p[0] / n, p[1] / n }; }).ToArray();
        double sum = 0;
        for (int i = 0; i < 6; i++)
        {
            double denominator = Enumerable.Range(0, 6).Where(k => k != i).Sum(k => Math.Exp((z[i][0] * z[k][0] + z[i][1] * z[k][1]) / T));
            sum += -Math.Log(Math.Exp(1 / T) / denominator);
        }
        Assert.Equal(sum / 6, loss.Total.item<float>(), 5);
        Assert.Null(loss.Supervised);

        // No label is used: other labels, or other labeled images, leave the loss as it was.
        var other = new SimClr(T).Loss(model, new Batch(ones(1, 1, 1, 2), tensor(new long[] { 1 }), images, new Progress(1, 0, 1), Identity));
        Assert.Equal(loss.Total.item<float>(), other.Total.item<float>());
        // The embedding's scale does not matter (cosine similarity).
        using var scaled = new LinearEmbedding(eye(2) * 3);
        Assert.Equal(loss.Total.item<float>(), new SimClr(T).Loss(scaled, new Batch(zeros(1, 1, 1, 2), tensor(new long[] { 0 }), images, new Progress(1, 0, 1), Identity)).Total.item<float>(), 5);
    }

    [Fact]
    public void The_gradient_matches_finite_differences()
    {
        var images = tensor(new float[] { 1, 0.5f, -0.3f, 2, 0.7f, -1.2f }).reshape(3, 1, 1, 2);
        var w = tensor(new float[] { 1, 0.2f, -0.4f, 0.9f }).reshape(2, 2);
        using var model = new LinearEmbedding(w);
        var method = new SimClr(0.5);
        Batch B(Tensor u) => new(zeros(1, 1, 1, 2), tensor(new long[] { 0 }), u, new Progress(1, 0, 1), Identity);
        method.Loss(model, B(images)).Total.backward();
        var grad = model.Weight.grad!.data<float>().ToArray();
        const double h = 1e-2;
        for (int j = 0; j < 4; j++)
        {
            double At(double delta)
            {
                using var _ = no_grad();
                var shifted = w.clone().flatten();
                shifted[j] += delta;
                using var probe = new LinearEmbedding(shifted.reshape(2, 2));
                return method.Loss(probe, B(images)).Total.item<float>();
            }
            Assert.Equal((At(h) - At(-h)) / (2 * h), grad[j], 2);
        }
    }

    [Fact]
    public void A_recipe_needs_a_strong_augmentation_and_the_conv_model()
    {
        var e = Assert.Throws<SemisupException>(() => Semisup.Training.RecipeFile.Parse("""{ "method": { "kind": "simclr" } }""", "test").Validate());
        Assert.Contains("augmentation.strong: the simclr method needs a strong augmentation", e.Message);
        e = Assert.Throws<SemisupException>(() => Semisup.Training.RecipeFile.Parse("""{ "model": { "kind": "gap" }, "method": { "kind": "simclr" }, "augmentation": { "strong": { "cutout": 6 } } }""", "test").Validate());
        Assert.Contains("method.kind: simclr with model.kind gap", e.Message);
        Assert.Contains("temperature: 0 must be positive", new SimClr(0).Problems());
    }
}
