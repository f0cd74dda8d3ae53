using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Labeled images only, through the noisy path (the lab's supervised baselines).</summary>
public sealed record Supervised : IMethod
{
    public StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at)
    {
        var loss = functional.cross_entropy(model.Noisy(labeled), labels);
        return new(loss, loss, null);
    }
}
