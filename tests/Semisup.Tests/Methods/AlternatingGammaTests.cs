using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class AlternatingGammaTests
{
    [Fact]
    public void An_epoch_is_the_supervised_pass_then_the_unsupervised_steps_each_with_only_its_own_loss()
    {
        // The lab's epoch: its supervised pass (6 steps here), then 60 unsupervised steps.
        var method = new AlternatingGamma();
        Assert.Equal(66, ((IMethod)method).StepsPerEpoch(6));
        manual_seed(3);
        using var net = new ConvNet(new ConvNetConfig());
        using var x = rand(8, 1, 28, 28);
        using var y = randint(0, 10, [8]);
        using var u = rand(8, 1, 28, 28);
        foreach (int step in new[] { 0, 5, 6, 65 })
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            var loss = method.Loss(net, new Batch(x, y, u, new Progress(1, step, 66), new Augment()));
            if (step < 6)
            {
                Assert.Null(loss.Unsupervised);
                manual_seed(5);
                Assert.Equal(nn.functional.cross_entropy(net.Noisy(x), y).item<float>(), loss.Total.item<float>(), 5);
            }
            else
            {
                Assert.Null(loss.Supervised);
                manual_seed(5);
                Assert.Equal(nn.functional.mse_loss(net.Noisy(u), net.call(u)).item<float>(), loss.Total.item<float>(), 5);
                // The unsupervised step never looks at labels: a different label tensor gives the same loss.
                manual_seed(5);
                Assert.Equal(loss.Total.item<float>(), method.Loss(net, new Batch(x, (y + 1) % 10, u, new Progress(1, step, 66), new Augment())).Total.item<float>());
            }
        }
    }
}
