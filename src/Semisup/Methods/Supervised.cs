using Semisup.Models;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Labeled images only, through the noisy path (the lab's supervised baselines).</summary>
public sealed record Supervised : IMethod
{
    public StepLoss Loss(Classifier model, Batch batch)
    {
        var loss = functional.cross_entropy(model.Noisy(batch.Labeled), batch.Labels);
        return new(loss, loss, null);
    }

    public bool UsesUnlabeled => false;
}
