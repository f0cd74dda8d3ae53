using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class PseudoLabelTests
{
    [Fact]
    public void The_weight_is_zero_then_ramps_linearly_then_stays()
    {
        var p = new PseudoLabel(UnsupervisedWeight: 3, RampStart: 10, RampEnd: 100);
        Assert.Equal(0, p.Weight(5));
        Assert.Equal(0, p.Weight(10));
        Assert.Equal(1.5, p.Weight(55), 12);
        Assert.Equal(3, p.Weight(100));
        Assert.Equal(3, p.Weight(400));
    }

    [Fact]
    public void The_unsupervised_loss_is_cross_entropy_against_confident_clean_predictions()
    {
        manual_seed(7);
        using var net = new ConvNet(new ConvNetConfig(NoiseStd: 0, Dropout: 0));
        net.eval(); // deterministic passes, so the expected value can be computed independently
        using var u = rand(32, 1, 28, 28);
        using var noGrad = no_grad();
        var logits = net.call(u);
        var probabilities = nn.functional.softmax(logits, 1).data<float>().ToArray();
        var logSoftmax = nn.functional.log_softmax(logits, 1).data<float>().ToArray();
        // The median confidence splits the batch: half the rows make targets, and the other half count as 0 in the mean.
        var confidences = Enumerable.Range(0, 32).Select(i => probabilities.AsSpan(i * 10, 10).ToArray().Max()).Order().ToArray();
        foreach (var threshold in new[] { 0.0, confidences[16], 1.01 })
        {
            double expected = 0;
            int confident = 0;
            for (int i = 0; i < 32; i++)
            {
                var row = probabilities.AsSpan(i * 10, 10).ToArray();
                int c = Array.IndexOf(row, row.Max());
                if (row[c] >= threshold) { expected -= logSoftmax[i * 10 + c]; confident++; }
            }
            Assert.Equal(threshold == 0 ? 32 : threshold > 1 ? 0 : 16, confident);
            expected /= 32;
            var loss = new PseudoLabel(Threshold: threshold).Loss(net, new Batch(empty(0, 1, 28, 28), empty(0, ScalarType.Int64), u, new Progress(201, 0, 1), new Augment()));
            Assert.Equal(expected, loss.Unsupervised!.item<float>(), 4);
        }
    }

    [Fact]
    public void With_augmented_unlabeled_images_the_targets_come_from_the_images_as_they_are()
    {
        manual_seed(8);
        using var net = new ConvNet(new ConvNetConfig(NoiseStd: 0, Dropout: 0));
        net.eval();
        // Strokes at random places, so the augmentation moves the network's predictions.
        using var u = (rand(16, 1, 28, 28) * rand(16, 1, 1, 28).gt(0.7) * 3).clamp_max(1);
        using var x = rand(4, 1, 28, 28);
        using var y = randint(0, 10, [4]);
        using var noGrad = no_grad();
        var augment = new Augment(RotationDegrees: 25, Shift: 3);
        (float Supervised, float Unsupervised) Losses(PseudoLabel p) => MethodLosses.Of(p, net, x, y, u, seed: 9, epoch: 201, augment: augment);
        manual_seed(9);
        using var seen = augment.Apply(u);
        using var targets = net.call(u).argmax(1);
        using var seenLogits = net.call(seen);
        Assert.True(targets.ne(seenLogits.argmax(1)).any().item<bool>(), "the augmentation must change some prediction, or the test cannot tell the views apart");
        float expected = nn.functional.cross_entropy(seenLogits, targets).item<float>();
        var augmented = Losses(new PseudoLabel(Threshold: 0, AugmentUnlabeled: true));
        Assert.Equal(nn.functional.cross_entropy(net.call(x), y).item<float>(), augmented.Supervised, 4);
        Assert.Equal(expected, augmented.Unsupervised, 4);
        Assert.NotEqual(expected, Losses(new PseudoLabel(Threshold: 0)).Unsupervised, 2);
    }
}
