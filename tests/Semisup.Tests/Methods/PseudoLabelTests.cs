using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class PseudoLabelTests
{
    [Fact]
    public void The_weight_is_zero_then_ramps_linearly_then_stays()
    {
        var p = new PseudoLabel(FinalWeight: 3, RampStart: 10, RampEnd: 100);
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
        foreach (var threshold in new[] { 0.0, 0.3, 1.01 })
        {
            double expected = 0;
            for (int i = 0; i < 32; i++)
            {
                var row = probabilities.AsSpan(i * 10, 10).ToArray();
                int c = Array.IndexOf(row, row.Max());
                if (row[c] >= threshold) expected -= logSoftmax[i * 10 + c];
            }
            expected /= 32;
            var loss = new PseudoLabel(Threshold: threshold).Loss(net, empty(0, 1, 28, 28), empty(0, ScalarType.Int64), u, new Progress(201, 0, 1));
            Assert.Equal(expected, loss.Unsupervised!.item<float>(), 4);
        }
    }

    [Fact]
    public void With_augmented_unlabeled_images_the_targets_come_from_the_images_as_they_are()
    {
        manual_seed(8);
        using var net = new ConvNet(new ConvNetConfig(NoiseStd: 0, Dropout: 0));
        net.eval();
        using var u = rand(16, 1, 28, 28);
        using var noGrad = no_grad();
        var augment = new Augment(RotationDegrees: 25, Shift: 3);
        float Unsupervised(PseudoLabel p)
        {
            manual_seed(9);
            using var scope = NewDisposeScope();
            return p.Loss(net, empty(0, 1, 28, 28), empty(0, ScalarType.Int64), u, new Progress(201, 0, 1)).Unsupervised!.item<float>();
        }
        manual_seed(9);
        using var seen = augment.Apply(u);
        using var targets = net.call(u).argmax(1);
        float expected = nn.functional.cross_entropy(net.call(seen), targets).item<float>();
        Assert.Equal(expected, Unsupervised(new PseudoLabel(Threshold: 0, AugmentNoisy: augment)), 4);
        Assert.NotEqual(expected, Unsupervised(new PseudoLabel(Threshold: 0)), 2);
    }
}
