using System.Text.Json;
using System.Text.Json.Serialization;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;

namespace Semisup.Recipes;

/// <summary>Which images a run learns from: a built-in dataset or a folder of images, how many labels, and how the
/// training images divide into labeled, validation and unlabeled (Data/Split.cs, Data/FolderSplit.cs).</summary>
/// <param name="Labels">Labeled images, class-balanced (a multiple of the class count), or -1 for all.</param>
/// <param name="Split">random (drawn by the seed) or lab (the lab's images, in file order, the same for every seed).</param>
/// <param name="Seed">Draws the split, the initial weights, the batches, the augmentation and the noise.</param>
/// <param name="Folder">A folder in the ImageFolder layout, or a CSV (docs/images.md), instead of the dataset.</param>
/// <param name="Classes">A folder's class names, in label order: written when a run starts, checked when it resumes.</param>
/// <param name="Channels">A folder's images are converted to 1 (gray) or 3 (RGB) channels; when a run starts, 1 if
/// every labeled image is gray, else 3.</param>
/// <param name="Size">A folder's images are resized (shorter side) and centre-cropped to this side; when a run starts,
/// the labeled images' side when all are square and alike, else 32.</param>
public sealed record DataSettings(string Dataset = "mnist", int Labels = 3000, string Split = Data.Split.Random, ulong Seed = 1,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Folder = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Classes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Channels = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Size = null)
{
    /// <summary>The built-in dataset, or null for a folder.</summary>
    [JsonIgnore] public DatasetInfo? Builtin => Folder != null ? null : Datasets.All.FirstOrDefault(d => d.Name.Equals(Dataset, StringComparison.OrdinalIgnoreCase));

    /// <summary>The class names in label order: the dataset's, or the folder's once resolved (empty before).</summary>
    [JsonIgnore] public IReadOnlyList<string> ClassNames => Folder != null ? Classes ?? [] : Builtin is { } ds ? Data.ClassNames.Of(ds) : [];

    /// <summary>What a report or a run's name calls the data: the dataset's name or the folder's.</summary>
    [JsonIgnore] public string DisplayName => Folder is { } f ? System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(f)) : Dataset;

    public IEnumerable<string> Problems()
    {
        if (Folder == null)
        {
            if (Builtin == null) yield return $"dataset: '{Dataset}' is not one of {string.Join(", ", Datasets.All.Select(d => d.Name))}";
            if (Labels != Data.Split.AllLabels && (Labels < 10 || Labels % 10 != 0)) yield return $"labels: {Labels} must be a positive multiple of 10, or -1 (all)";
            if (Classes != null || Channels != null || Size != null) yield return "classes, channels and size describe a folder's images; give data.folder, or leave them out";
        }
        else
        {
            if (Classes is { Length: < 2 }) yield return $"classes: {Classes.Length} class; a classifier needs at least 2";
            if (Classes != null && Classes.Distinct(StringComparer.Ordinal).Count() != Classes.Length) yield return "classes: names repeat";
            int k = Classes?.Length ?? 0;
            if (Labels != Data.Split.AllLabels && (Labels < 1 || k > 0 && Labels % k != 0))
                yield return $"labels: {Labels} must be -1 (all the labeled images) or a positive multiple of the {k} classes (the same number from each)";
            if (Channels is { } c && c is not (1 or 3)) yield return $"channels: {c}; give 1 (gray) or 3 (RGB)";
            if (Size is { } s && s is < ImageShape.MinSize or > ImageShape.MaxSize) yield return $"size: {s}; give a side from {ImageShape.MinSize} to {ImageShape.MaxSize} pixels";
            if (Split != Data.Split.Random) yield return $"split: '{Split}' is the built-in datasets' file order; a folder's split is random";
        }
        if (!Data.Split.Schemes.Contains(Split)) yield return $"split: '{Split}' is not one of {string.Join(", ", Data.Split.Schemes)}";
    }
}

/// <summary>How long and in what batches a run trains, and how it is evaluated.</summary>
/// <param name="StepsPerEpoch">0: one pass over the labeled set (60 at 3,000 labels and batches of 50).</param>
/// <param name="Threads">Intra-op threads; runs are bit-reproducible only at a fixed count.</param>
/// <param name="EvalBatch">Images per evaluation batch: batches of the training batch's size fit in the gaps the
/// training steps leave in the heap, where batches of 1,000 kept growing it on some CPUs (docs/performance.md).</param>
/// <param name="EmaDecay">Validate, checkpoint and report an exponential moving average of the weights updated every
/// step with this decay (Optim/WeightAverage.cs); 0.999 averages over about the last 1,000 steps; 0 turns it off.</param>
public sealed record RunSettings(int Epochs = 500, int StepsPerEpoch = 0, int LabeledBatch = 50, int UnlabeledBatch = 50, int Threads = 2, int EvalBatch = 100, double EmaDecay = 0)
{
    /// <summary>Larger evaluation batches are no faster and need gigabytes of activations (all 10,000 test images at
    /// once took 2.4 GB); a recipe or a checkpoint's header asking for more is refused before anything is allocated.</summary>
    public const int MaxEvalBatch = 2500;

    /// <summary>An epoch's batch order is held in memory: this many indices (80 MB) at most.</summary>
    public const long MaxIndicesPerEpoch = 10_000_000;

    public int StepsPer(int labeledCount) => StepsPerEpoch > 0 ? StepsPerEpoch : Math.Max(1, labeledCount / LabeledBatch);

    public IEnumerable<string> Problems()
    {
        if (Epochs < 1) yield return $"epochs: {Epochs} must be at least 1";
        if (StepsPerEpoch < 0) yield return $"stepsPerEpoch: {StepsPerEpoch} must be 0 (one pass over the labeled set) or positive";
        if (LabeledBatch < 1) yield return $"labeledBatch: {LabeledBatch} must be at least 1";
        if (UnlabeledBatch < 0) yield return $"unlabeledBatch: {UnlabeledBatch} must not be negative";
        if (Threads < 1) yield return $"threads: {Threads} must be at least 1";
        if (EvalBatch < 1) yield return $"evalBatch: {EvalBatch} must be at least 1";
        if (EvalBatch > MaxEvalBatch) yield return $"evalBatch: {EvalBatch} is more than {MaxEvalBatch:N0}; larger batches are no faster and need gigabytes of memory";
        if ((long)StepsPerEpoch * Math.Max(LabeledBatch, UnlabeledBatch) > MaxIndicesPerEpoch)
            yield return $"stepsPerEpoch: {StepsPerEpoch} steps of {Math.Max(LabeledBatch, UnlabeledBatch)} images is more than {MaxIndicesPerEpoch:N0} images an epoch; give fewer steps";
        if (EmaDecay is < 0 or >= 1) yield return $"emaDecay: {EmaDecay} must be in [0, 1) (0 turns weight averaging off)";
    }
}

/// <summary>Everything a run depends on, as typed blocks; the defaults are the lab's final Γ-model (section 3.3).
/// A recipe file (recipes/*.json) gives only the blocks it changes, each whole: a block's kind picks its record and
/// the keys it leaves out take that record's defaults. RecipeFile.cs reads and writes them; this record knows no files.</summary>
public sealed record Recipe
{
    /// <summary>The recipe file's name; set on loading.</summary>
    public string Name { get; init; } = "gamma";
    public string Description { get; init; } = "";
    public DataSettings Data { get; init; } = new();
    public ModelOptions Model { get; init; } = new ConvNetConfig();
    public IMethod Method { get; init; } = new Gamma();
    public OptimizerOptions Optimizer { get; init; } = new Adam();
    public Schedule Schedule { get; init; } = new LabSchedule();
    public Augment Augmentation { get; init; } = new();
    public RunSettings Run { get; init; } = new();

    /// <summary>The blocks by their key, in the order a recipe file lists them.</summary>
    [JsonIgnore] public IEnumerable<(string Key, object Block)> Blocks =>
        [("data", Data), ("model", Model), ("method", Method), ("optimizer", Optimizer), ("schedule", Schedule), ("augmentation", Augmentation), ("run", Run)];

    /// <summary>The method's name as recipes write it (its kind).</summary>
    [JsonIgnore] public string MethodKind => Kinds.Of(Method);

    [JsonIgnore] public string ModelKind => Kinds.Of(Model);

    /// <summary>Channels, height and width of the images the data gives the network, and their classes: 1×28×28 and
    /// ten for the built-in datasets; a folder's resolved shape and classes.</summary>
    [JsonIgnore] public (int Channels, int Height, int Width, int Classes) Input => Data.Folder == null
        ? (1, 28, 28, Data.ClassNames.Count is > 0 and var k ? k : 10)
        : (Data.Channels ?? 3, Data.Size ?? 32, Data.Size ?? 32, Data.ClassNames.Count);

    /// <summary>The class names in label order (<see cref="DataSettings.ClassNames"/>).</summary>
    [JsonIgnore] public IReadOnlyList<string> ClassNames => Data.ClassNames;

    /// <summary>The model's options at <see cref="Input"/>: what validation checks, the factory builds and counts describe.</summary>
    [JsonIgnore] public ModelOptions SizedModel => Model.ForInput(Input.Channels, Input.Height, Input.Width, Input.Classes);

    /// <summary>The decay of the weight average the run keeps (the method's teacher, or run.emaDecay), 0 for none:
    /// validation, the checkpoints' model and the report use the average.</summary>
    [JsonIgnore] public double AverageDecay => Method.TeacherDecay ?? Run.EmaDecay;

    [JsonIgnore] public string OptimizerKind => Kinds.Of(Optimizer);

    /// <summary>Rejects what cannot train, before any work starts; every problem names its key with its block.</summary>
    /// <param name="checkFiles">Whether a warm start's checkpoint must exist here (not for a checkpoint's own recipe, whose
    /// warm start was used where it was trained).</param>
    public Recipe Validate(bool checkFiles = true)
    {
        var bad = new List<string>();
        void Add(string block, IEnumerable<string> problems) => bad.AddRange(problems.Select(p => $"{block}.{p}"));
        Add("data", Data.Problems());
        var modelProblems = SizedModel.Problems().ToList();
        Add("model", modelProblems);
        Add("method", Method.Problems());
        Add("optimizer", Optimizer.Problems());
        Add("schedule", Schedule.Problems());
        Add("augmentation", Augmentation.Problems());
        Add("run", Run.Problems());
        bad.AddRange(NonFinite());
        if ((Model is LadderConfig) != (Method is Ladder))
            bad.Add($"method.kind: {MethodKind} with model.kind {ModelKind}: the ladder method and the mlp-ladder model go together");
        if (Method is Ladder ladder && Model is LadderConfig net && ladder.DenoisingCosts.Length != net.Layers.Length)
            bad.Add($"method.denoisingCosts: {ladder.DenoisingCosts.Length} values for {net.Layers.Length} layers (input included); give one λ per layer");
        if (Method is PseudoLabel { AugmentUnlabeled: true } && Augmentation.IsIdentity)
            bad.Add("method.augmentUnlabeled: the augmentation block alters nothing (rotationDegrees, shift, elasticAlpha and cutout are 0)");
        if (Method.TeacherDecay is double teacher && Run.EmaDecay != 0 && Run.EmaDecay != teacher)
            bad.Add($"run.emaDecay: the {MethodKind} method's teacher is the weight average, with method.emaDecay {teacher}; remove run.emaDecay");
        if (Method is FixMatch && Augmentation.Strong == null) bad.Add("augmentation.strong: the fixmatch method needs a strong augmentation");
        if (Data.Folder == null)
        {
            // Each of the datasets has 60,000 training images, 10,000 of them kept for validation; a folder's counts are
            // checked when it is read (Training/RunData.cs).
            int labeled = Data.Labels == Split.AllLabels ? 60_000 - Split.ValidationSize : Data.Labels, unlabeled = 60_000 - Split.ValidationSize - labeled;
            if (Data.Labels >= 10 && Run.LabeledBatch > labeled) bad.Add($"run.labeledBatch: {Run.LabeledBatch} is more than the {labeled:N0} labeled images; give at most {labeled:N0}");
            if (Method.UsesUnlabeled && unlabeled > 0 && Run.UnlabeledBatch > unlabeled) bad.Add($"run.unlabeledBatch: {Run.UnlabeledBatch} is more than the {unlabeled:N0} unlabeled images; give at most {unlabeled:N0}");
            if (Method.UsesUnlabeled && Data.Labels == Split.AllLabels) bad.Add($"data.labels: all leaves no unlabeled image for the {MethodKind} method; use fewer labels or the supervised method");
        }
        else if (Data.Classes == null) bad.Add($"data.classes: the folder {Data.Folder} has not been read yet");
        if (Method.UsesUnlabeled && Run.UnlabeledBatch == 0) bad.Add($"run.unlabeledBatch: the {MethodKind} method learns from unlabeled images, so it must be positive");
        if (checkFiles && Model.WarmStart != null && !File.Exists(Model.WarmStart)) bad.Add($"model.warmStart: no checkpoint at '{Model.WarmStart}'");
        else if (checkFiles && Model.WarmStart != null && SafeFiles.NotRegular(Model.WarmStart) is { } special) bad.Add($"model.warmStart: '{Model.WarmStart}' {special}; give a checkpoint file");
        if (modelProblems.Count == 0 && SizeProblem() is { } tooLarge) bad.Add($"model: {tooLarge}");
        if (bad.Count > 0) throw new SemisupException($"Recipe '{Name}' is invalid: {string.Join("; ", bad)}.");
        return this;
    }

    /// <summary>Every floating-point key must be a finite number: JSON reads 1e309 as infinity.</summary>
    IEnumerable<string> NonFinite()
    {
        foreach (var (key, block) in Blocks)
            foreach (var p in block.GetType().GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
            {
                var numbers = p.GetValue(block) switch { double d => [d], double[] ds => ds, _ => Array.Empty<double>() };
                if (numbers.Any(d => !double.IsFinite(d))) yield return $"{key}.{JsonNamingPolicy.CamelCase.ConvertName(p.Name)}: must be a finite number";
            }
    }

    const double GiB = 1 << 30;

    /// <summary>Why float32 copies of the recipe's network for training (the weights, their gradients, the optimizer's
    /// state and any weight average; or <paramref name="copies"/>) would not fit in the memory this process may use, or
    /// null. Past that, libtorch aborts the process with a native stack trace, or the kernel kills it. A coarse guard:
    /// activations and libtorch's own memory come on top.</summary>
    public string? SizeProblem(int? copies = null)
    {
        int n = copies ?? 2 + Optimizer.StateCopies + (AverageDecay > 0 ? 1 : 0);
        double parameters = SizedModel.Parameters;
        double need = parameters * sizeof(float) * n, have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need <= have) return null;
        string what = n > 1 ? $" to train ({n} float32 copies: the weights, their gradients, the optimizer's state and any weight average)" : "";
        return $"{parameters:N0} parameters need {need / GiB:F1} GiB{what}, more than the {have / GiB:F1} GiB this process may use; " +
            $"check {Model switch { LadderConfig => "model.layers", GapNetConfig => "model.widths", AirbenchConfig => "model.width", _ => "model.hiddenUnits" }}";
    }
}
