using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;

namespace Semisup.Recipes;

/// <summary>The one table of a recipe's kinds: for each block whose record varies (model, method, optimizer,
/// schedule), the name a recipe file gives each record in its <c>"kind"</c> key. The building blocks declare plain
/// records; this adds the kinds to the JSON contract (<see cref="Modify"/>, a <see cref="DefaultJsonTypeInfoResolver"/>
/// modifier). The order is the order errors list them in.</summary>
public static class Kinds
{
    public const string Key = "kind";

    static readonly Dictionary<Type, (Type Record, string Kind)[]> Table = new()
    {
        [typeof(ModelOptions)] = [(typeof(ConvNetConfig), "conv"), (typeof(LadderConfig), "mlp-ladder"), (typeof(GapNetConfig), "gap"), (typeof(AirbenchConfig), "airbench")],
        [typeof(IMethod)] =
        [
            (typeof(Supervised), "supervised"), (typeof(Gamma), "gamma"), (typeof(AlternatingGamma), "alternating-gamma"),
            (typeof(PseudoLabel), "pseudo-label"), (typeof(Ladder), "ladder"), (typeof(FixMatch), "fixmatch"), (typeof(MeanTeacher), "mean-teacher"),
        ],
        [typeof(OptimizerOptions)] = [(typeof(Adam), "adam"), (typeof(Sgd), "sgd"), (typeof(Momentum), "momentum"), (typeof(Nesterov), "nesterov")],
        [typeof(Schedule)] = [(typeof(LabSchedule), "lab"), (typeof(LinearDecay), "linear-decay"), (typeof(Cosine), "cosine")],
    };

    /// <summary>A network's input shape and classes come from the dataset, never from a recipe.</summary>
    /// A network whose own key is called width (airbench's) names its image size ImageHeight and ImageWidth.
    static readonly string[] FromTheDataset = ["Channels", "Height", "Width", "Classes"], FromTheDatasetBeside = ["Channels", "ImageHeight", "ImageWidth", "Classes"];

    /// <summary>The kind a block is written with (conv, gamma, adam, lab, ...).</summary>
    public static string Of(object block) =>
        Table.Values.SelectMany(kinds => kinds).FirstOrDefault(k => k.Record == block.GetType()).Kind
        ?? throw new ArgumentException($"{block.GetType().Name} has no kind in the recipe format.", nameof(block));

    /// <summary>The contract modifier: a varying block gets its kinds; a value a record computes, and a model's shape,
    /// which the dataset decides, are not keys.</summary>
    public static void Modify(JsonTypeInfo info)
    {
        if (Table.TryGetValue(info.Type, out var kinds))
        {
            info.PolymorphismOptions = new JsonPolymorphismOptions { TypeDiscriminatorPropertyName = Key };
            foreach (var (record, kind) in kinds) info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(record, kind));
        }
        if (info.Kind != JsonTypeInfoKind.Object) return;
        // As [JsonIgnore] would: never written, and not a key (RecipeFile.Check), so a constructor parameter keeps its
        // default. IgnoreReadOnlyProperties alone would still write a computed array (a network's channels).
        bool shapeFromData = typeof(ModelOptions).IsAssignableFrom(info.Type);
        var shape = info.Properties.Any(p => p.AttributeProvider is System.Reflection.PropertyInfo { Name: "ImageWidth" }) ? FromTheDatasetBeside : FromTheDataset;
        foreach (var p in info.Properties)
            if (p.Set == null && p.AssociatedParameter == null
                || shapeFromData && p.AttributeProvider is System.Reflection.PropertyInfo { Name: var name } && shape.Contains(name))
                (p.Get, p.Set) = (null, null);
    }
}
