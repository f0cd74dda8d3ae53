using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

/// <summary>A method's losses on one batch, with the random stream seeded first, so that two methods (or a method and
/// a computation by hand from the same seed) see the same augmentation, noise and dropout draws.</summary>
static class MethodLosses
{
    public static (float Supervised, float Unsupervised) Of(IMethod method, Classifier net, Tensor x, Tensor y, Tensor u, int seed, int epoch = 1, Augment? augment = null)
    {
        manual_seed(seed);
        using var scope = NewDisposeScope();
        var loss = method.Loss(net, new Batch(x, y, u, new Progress(epoch, 0, 1), augment ?? new Augment()));
        return (loss.Supervised!.item<float>(), loss.Unsupervised!.item<float>());
    }
}
