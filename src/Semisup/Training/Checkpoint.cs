using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Semisup.Models;
using Semisup.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>Where a run stands: enough, with the model and optimizer state, to resume exactly. MethodState holds what the
/// method carries between steps (<see cref="Methods.MethodState"/>), null for a method that keeps nothing.</summary>
public sealed record TrainingState(int Epoch, int BestEpoch, double BestValidationAccuracy, double WallSeconds, double[]? MethodState = null);

/// <summary>What a checkpoint holds besides tensors: the recipe, the model's signature and the training state.</summary>
public sealed record CheckpointHeader(string Format, string Model, string Signature, Recipe Recipe, TrainingState State);

/// <summary>The header without its recipe, which <see cref="RecipeFile"/> reads.</summary>
sealed record HeaderFields(string Format, string Model, string Signature, TrainingState State);

/// <summary>What training works on: the model, its optimizer, the weight average when the recipe keeps one, and where
/// the run stands.</summary>
public sealed record Learner(Classifier Model, IOptimizer Optimizer, WeightAverage? Average, TrainingState State) : IDisposable
{
    public void Dispose()
    {
        Optimizer.Dispose();
        Average?.Dispose();
        Model.Dispose();
    }
}

/// <summary>One file: magic, a JSON header, the model state, then optionally the optimizer and RNG state and, for a run
/// that averages weights (whose model state is the average), the trained weights; last, the SHA-256 of all that,
/// checked on every load, so a changed byte is an error rather than a different model.
/// Written to a temporary file and renamed, so a crash or a full disk leaves the previous checkpoint intact.</summary>
public static class Checkpoint
{
    const string Magic = "SEMISUP-CKPT-2", FirstMagic = "SEMISUP-CKPT-1";
    const int HashBytes = 32;

    /// <summary>Far above any network a recipe may build on this machine's memory; a larger file is refused unread.</summary>
    const long MaxBytes = 4L << 30;

    /// <summary>Writes <paramref name="model"/> (what evaluation and prediction load), and with <paramref name="optimizer"/>
    /// what resuming needs: its state, the RNG's and, when the run averages weights (then <paramref name="model"/> is the
    /// average), the <paramref name="trained"/> weights.</summary>
    public static void Save(string path, Classifier model, Recipe recipe, TrainingState state, IOptimizer? optimizer, Classifier? trained = null)
    {
        if (trained != null && optimizer == null) throw new ArgumentException("The trained weights are saved only for resuming, with the optimizer's state.", nameof(trained));
        var temp = path + ".tmp";
        try
        {
            using var content = new MemoryStream();
            using (var w = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(JsonSerializer.Serialize(new CheckpointHeader(Magic, model.GetType().Name, model.Signature(), recipe, state), RecipeFile.Json));
                model.save(w);
                w.Write(optimizer != null);
                if (optimizer != null)
                {
                    optimizer.Save(w);
                    using var rng = torch.random.get_rng_state();
                    var bytes = rng.data<byte>().ToArray();
                    w.Write(bytes.Length);
                    w.Write(bytes);
                    w.Write(trained != null);
                    trained?.save(w);
                }
            }
            content.Position = 0;
            var hash = SHA256.HashData(content);
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                content.Position = 0;
                content.CopyTo(file);
                file.Write(hash);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException e)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw new SemisupException($"Could not save checkpoint {path} ({e.Message}); the previous checkpoint, if any, is intact.", e);
        }
    }

    public static CheckpointHeader ReadHeader(string path)
    {
        using var r = Open(path);
        return Header(r, path);
    }

    /// <summary>The model a checkpoint holds (with weight averaging, the average), in a new model built from its recipe.</summary>
    public static (Classifier Model, CheckpointHeader Header) Load(string path, Func<Recipe, Classifier>? build = null)
    {
        using var r = Open(path);
        var header = Header(r, path);
        Classifier model = null!;
        Guard(path, made =>
        {
            made.Add(model = (build ?? Factory.Model)(header.Recipe));
            ReadModel(r, path, header, model);
        });
        return (model, header);
    }

    /// <summary>What a run left in its last checkpoint to continue exactly: the trained model, its optimizer (made by
    /// <paramref name="newOptimizer"/>, then restored), the RNG state, and the weight average if the run keeps one.</summary>
    public static Learner Resume(string path, Func<Classifier, IOptimizer> newOptimizer)
    {
        using var r = Open(path);
        var header = Header(r, path);
        bool averaging = header.Recipe.AverageDecay > 0;
        Learner resumed = null!;
        Guard(path, made =>
        {
            var saved = Factory.Model(header.Recipe);
            made.Add(saved);
            ReadModel(r, path, header, saved);
            var trained = averaging ? Factory.Model(header.Recipe) : saved;
            made.Add(trained);
            var optimizer = newOptimizer(trained);
            made.Add(optimizer);
            if (!r.ReadBoolean()) throw new SemisupException($"{path}: holds no optimizer state, so it cannot be resumed from.");
            optimizer.Load(r);
            // A NaN moment would turn the first step's update into NaN, which training reports as a diverged loss.
            if (optimizer.State().Any(t => !torch.isfinite(t).all().item<bool>()))
                throw new SemisupException($"{path}: corrupt checkpoint: its optimizer state holds a value that is not a finite number.");
            var rngState = r.ReadBytes(r.ReadInt32());
            // Checkpoints from before weight averaging end here.
            bool hasTrained = r.BaseStream.Position < r.BaseStream.Length && r.ReadBoolean();
            if (hasTrained != averaging) throw new SemisupException($"{path}: corrupt checkpoint: its recipe and its contents disagree about weight averaging.");
            if (averaging)
            {
                trained.load(r, strict: true);
                RefuseNonFinite(trained, path);
            }
            // Set last, so a refused file leaves the generator alone.
            using var rng = tensor(rngState, ScalarType.Byte);
            torch.random.set_rng_state(rng);
            resumed = new(trained, optimizer, averaging ? new WeightAverage(saved, trained, header.Recipe.AverageDecay) : null, header.State);
        });
        return resumed;
    }

    static void ReadModel(BinaryReader r, string path, CheckpointHeader header, Classifier model)
    {
        if (model.Signature() != header.Signature)
            throw new SemisupException($"{path}: its parameters do not match this model ({header.Model}); it is from another architecture.");
        model.load(r, strict: true);
        RefuseNonFinite(model, path);
    }

    /// <summary>A weight that is NaN or infinite makes every answer meaningless (accuracy 9.80%, loss NaN): corrupt.</summary>
    static void RefuseNonFinite(Classifier model, string path)
    {
        foreach (var (name, tensor) in model.state_dict())
            if (tensor.is_floating_point() && !torch.isfinite(tensor).all().item<bool>())
                throw new SemisupException($"{path}: corrupt checkpoint: {name} holds a value that is not a finite number.");
    }

    /// <summary>Runs <paramref name="read"/>; if the file turns out corrupt, disposes what it made (and listed) and says so.</summary>
    static void Guard(string path, Action<List<IDisposable>> read)
    {
        var made = new List<IDisposable>();
        try { read(made); }
        catch (Exception e) when (e is SemisupException or EndOfStreamException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            foreach (var d in made.Distinct()) d.Dispose();
            throw e as SemisupException ?? new SemisupException($"{path}: corrupt or truncated checkpoint ({e.Message}).", e);
        }
    }

    /// <summary>The file's content, its checksum verified (files of the first format, from before checksums, have none).</summary>
    static BinaryReader Open(string path)
    {
        // Opening a directory fails as "access denied", which would send the user after permissions.
        if (Directory.Exists(path)) throw new SemisupException($"{path}: is a directory; give a checkpoint file (such as {Path.Combine(path, "best.ckpt")}).");
        byte[] bytes;
        try
        {
            // Read as long as the file says it is, so a device such as /dev/zero (length 0) is read as empty, not forever.
            using var file = File.OpenRead(path);
            if (!file.CanSeek) throw new SemisupException($"{path}: not a regular file; give a checkpoint file.");
            if (file.Length > MaxBytes) throw new SemisupException($"{path}: {file.Length:N0} bytes is larger than any checkpoint ({MaxBytes:N0} at most).");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"{path}: cannot open checkpoint ({e.Message}).", e);
        }
        int content = bytes.Length;
        if (StartsWith(bytes, Magic))
        {
            content = bytes.Length - HashBytes;
            if (content < Magic.Length || !SHA256.HashData(bytes.AsSpan(0, content)).AsSpan().SequenceEqual(bytes.AsSpan(content)))
                throw new SemisupException($"{path}: corrupt checkpoint: its content does not match its SHA-256 (a changed or missing byte); use another checkpoint or train again.");
        }
        else if (!StartsWith(bytes, FirstMagic)) throw new SemisupException($"{path}: not a Semisup checkpoint.");
        return new BinaryReader(new MemoryStream(bytes, 0, content, writable: false), Encoding.UTF8);
    }

    /// <summary>BinaryWriter.Write(string): a one-byte length, then the characters.</summary>
    static bool StartsWith(byte[] bytes, string magic) =>
        bytes.Length > magic.Length && bytes[0] == magic.Length && bytes.AsSpan(1, magic.Length).SequenceEqual(Encoding.ASCII.GetBytes(magic));

    static CheckpointHeader Header(BinaryReader r, string path)
    {
        try
        {
            if (r.ReadString() is not (Magic or FirstMagic)) throw new SemisupException($"{path}: not a Semisup checkpoint.");
            // The recipe is read as a recipe file is, so headers of the flat form load too.
            var header = JsonNode.Parse(r.ReadString()) as JsonObject ?? throw new SemisupException($"{path}: empty checkpoint header.");
            var recipe = header["recipe"] ?? throw new SemisupException($"{path}: its header holds no recipe.");
            header.Remove("recipe");
            var read = header.Deserialize<HeaderFields>(RecipeFile.Json) ?? throw new SemisupException($"{path}: empty checkpoint header.");
            // Validated as a recipe file is: an edited header must not build another network or score another split.
            var parsed = RecipeFile.Parse(recipe.ToJsonString(), $"{path} (its recipe)");
            try { parsed.Validate(checkFiles: false); }
            catch (SemisupException e) { throw new SemisupException($"{path}: its recipe is invalid: {e.Message}", e); }
            return new(read.Format, read.Model, read.Signature, parsed, read.State);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException or FormatException)
        {
            throw new SemisupException($"{path}: not a Semisup checkpoint, or a corrupt one ({e.Message}).", e);
        }
    }
}
