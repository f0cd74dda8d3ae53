using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>Warm start as VGG did (Simonyan and Zisserman 2015): a new model takes the layers of a trained one whose
/// names and shapes match, and keeps its random initialisation for the rest (Training/Factory.cs reads the checkpoint).</summary>
public static class WarmStart
{
    /// <summary>A warm start that copies nothing is a mistake, not a random start.</summary>
    public static void Require(IReadOnlyCollection<string> copied, string checkpoint)
    {
        if (copied.Count == 0)
            throw new SemisupException($"Warm start from {checkpoint}: no layer matches this model by name and shape, so nothing would be copied.");
    }

    /// <summary>Copies every tensor of <paramref name="source"/> whose name and shape match one of <paramref name="target"/>'s.</summary>
    public static (List<string> Copied, List<string> Kept) Copy(TorchSharp.torch.nn.Module target, IReadOnlyDictionary<string, Tensor> source)
    {
        var (copied, kept) = (new List<string>(), new List<string>());
        using var _ = no_grad();
        foreach (var (name, tensor) in target.state_dict())
        {
            if (source.TryGetValue(name, out var from) && from.shape.SequenceEqual(tensor.shape))
            {
                tensor.copy_(from);
                copied.Add(name);
            }
            else kept.Add(name);
        }
        return (copied, kept);
    }
}
