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
        if (!r.Model.Problems().Any() && r.SizeProblem(copies: 1) is { } problem) throw new SemisupException($"Cannot build the network: its {problem}.");
        var ds = Datasets.Get(r.Data.Dataset);
        // A network that cannot take the dataset's images says which of its own options is wrong; here it is a key.
        try { return r.Model.Build(channels: 1, height: 28, width: 28, classes: ClassNames.Of(ds).Count); }
        catch (ArgumentException e) { throw new SemisupException($"model.{e.Message}", e); }
    }

    public static IOptimizer Optimizer(Classifier model, Recipe r) => r.Optimizer.Create(model.parameters());
}
