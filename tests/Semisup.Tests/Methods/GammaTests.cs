using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class GammaTests
{
    /// <summary>The gradient of the unsupervised loss with the same noise and dropout draws each time.</summary>
    static float[] Gradient(ConvNet net, Tensor u, Func<Tensor, Tensor, Tensor> unsupervised)
    {
        net.zero_grad();
        manual_seed(11);
        using var scope = NewDisposeScope();
        var noisy = net.Noisy(u);
        var clean = net.call(u);
        unsupervised(noisy, clean).backward();
        return net.parameters().SelectMany(p => p.grad!.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void Gradient_flows_through_both_paths_by_default_and_the_noisy_path_always()
    {
        manual_seed(10);
        using var net = new ConvNet(new ConvNetConfig());
        using var u = rand(16, 1, 28, 28);
        var both = Gradient(net, u, (n, c) => nn.functional.mse_loss(n, c));
        var noisyOnly = Gradient(net, u, (n, c) => nn.functional.mse_loss(n, c.detach()));
        var cleanOnly = Gradient(net, u, (n, c) => nn.functional.mse_loss(n.detach(), c));
        Assert.True(noisyOnly.Max(Math.Abs) > 1e-6 && cleanOnly.Max(Math.Abs) > 1e-6);
        for (int i = 0; i < both.Length; i++) Assert.Equal(both[i], noisyOnly[i] + cleanOnly[i], 1e-5);

        // The method itself: its default equals "both", its detached option equals "noisy only".
        float[] MethodGradient(Gamma g)
        {
            net.zero_grad();
            manual_seed(11);
            using var scope = NewDisposeScope();
            // Zero labeled images isolate the unsupervised term (the supervised one is then NaN-free but empty).
            var loss = g.Loss(net, new Batch(empty(0, 1, 28, 28), empty(0, ScalarType.Int64), u, new Progress(1, 0, 1), new Augment()));
            loss.Unsupervised!.backward();
            return net.parameters().SelectMany(p => p.grad!.data<float>().ToArray()).ToArray();
        }
        var d = MethodGradient(new Gamma());
        var f = MethodGradient(new Gamma(DetachCleanTarget: true));
        for (int i = 0; i < both.Length; i++)
        {
            Assert.Equal(both[i], d[i], 1e-5);
            Assert.Equal(noisyOnly[i], f[i], 1e-5);
        }
    }

    [Fact]
    public void Separate_batches_normalise_labeled_and_unlabeled_images_apart()
    {
        manual_seed(12);
        using var net = new ConvNet(new ConvNetConfig());
        using var x = rand(8, 1, 28, 28) + 0.5; // brighter than the unlabeled images, so shared statistics would differ
        using var y = randint(0, 10, [8]);
        using var u = rand(8, 1, 28, 28);
        float Supervised(Gamma g) => MethodLosses.Of(g, net, x, y, u, seed: 13).Supervised;
        manual_seed(13);
        float alone = nn.functional.cross_entropy(net.Noisy(x), y).item<float>();
        Assert.Equal(alone, Supervised(new Gamma(SeparateBatches: true)), 5);
        Assert.NotEqual(alone, Supervised(new Gamma()), 3);
    }
}
