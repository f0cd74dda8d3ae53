using Semisup.Data;
using Semisup.Models;
using Semisup.Optim;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>The one place a recipe becomes objects: its network for its dataset and its optimizer (Initialisation.cs
/// initialises a new network).</summary>
public static class Factory
{
    /// <summary>The recipe's network, for its dataset's images and classes.</summary>
    public static Classifier Model(Recipe r)
    {
        if (!r.SizedModel.Problems().Any() && r.SizeProblem(copies: 1) is { } problem) throw new SemisupException($"Cannot build the network: its {problem}.");
        if (r.Data.Folder == null) Datasets.Get(r.Data.Dataset); // an unknown name fails here, with the known ones
        var (channels, height, width, classes) = r.Input;
        // A network that cannot take the dataset's images says which of its own options is wrong; here it is a key.
        try { return r.Model.Build(channels, height, width, classes); }
        catch (ArgumentException e) { throw new SemisupException($"model.{e.Message}", e); }
    }

    public static IOptimizer Optimizer(Classifier model, Recipe r) => r.Optimizer.Create(model.parameters());
}
