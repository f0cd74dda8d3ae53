using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Semisup.Recipes;

/// <summary>Reads recipe files: comments allowed; each block given replaces the default block whole (its kind picks
/// the record, its missing keys take that record's defaults); settings <c>block.key=value</c> edit the result; the old
/// flat form (<see cref="LegacyRecipe"/>) is converted. Every error names the key with its block, never a .NET type.</summary>
public static class RecipeFile
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowOutOfOrderMetadataProperties = true,
        AllowDuplicateProperties = false,
        WriteIndented = true,
        // Computed properties (a network's parameter count, an augmentation's IsIdentity) are not keys.
        IgnoreReadOnlyProperties = true,
        // Γ, μ and → stay readable in recipe.json and checkpoint headers.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Every kind of model, method, optimizer and schedule, from the one table of them.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { Kinds.Modify } },
    };

    /// <summary>The recipes are about a kilobyte; a 100 MB description took 2.6 GB of memory and was copied into
    /// recipe.json, summary.md and every checkpoint. Larger files and longer texts are refused unread.</summary>
    public const int MaxFileBytes = 1 << 20, MaxTextLength = 4000;

    /// <summary>Blocks nest a few levels (augmentation.strong.cutout); far deeper is an error, found before the JSON
    /// writer's limit of 64 or the stack runs out.</summary>
    const int MaxDepth = 16;

    static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>A recipe by file path, or by name from the recipes directory, with <paramref name="sets"/> applied.</summary>
    public static Recipe Load(string nameOrPath, string? recipesDir = null, IReadOnlyList<string>? sets = null)
    {
        var dir = recipesDir ?? FindRecipesDir();
        // A name ending in .json is a path, even when no such file exists: the error then names that file.
        var path = File.Exists(nameOrPath) || Directory.Exists(nameOrPath) || nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? nameOrPath : Path.Combine(dir, nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Names(dir);
            throw new SemisupException($"Recipe '{nameOrPath}' not found (looked for {path}). Known recipes: {(known.Count > 0 ? string.Join(", ", known) : "none")}.");
        }
        return Read(path, sets) with { Name = Path.GetFileNameWithoutExtension(path) };
    }

    public static Recipe Read(string path, IReadOnlyList<string>? sets = null)
    {
        if (Directory.Exists(path)) throw new SemisupException($"{path}: is a directory, not a recipe file.");
        SafeFiles.RequireRegular(path, "a recipe file");
        if (File.Exists(path) && new FileInfo(path).Length is var length and > MaxFileBytes)
            throw new SemisupException($"{path}: {length:N0} bytes is larger than a recipe file may be ({MaxFileBytes:N0} bytes at most).");
        return Parse(File.ReadAllText(path), path, sets);
    }

    /// <summary>The recipe names in a directory (its *.json files), sorted.</summary>
    public static IReadOnlyList<string> Names(string recipesDir) =>
        Directory.Exists(recipesDir) ? [.. Directory.GetFiles(recipesDir, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)] : [];

    /// <summary>recipes/ beside the working directory or any parent, else beside the program.</summary>
    public static string FindRecipesDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (Directory.Exists(Path.Combine(d.FullName, "recipes"))) return Path.Combine(d.FullName, "recipes");
        return Path.Combine(Directory.GetCurrentDirectory(), "recipes");
    }

    /// <summary>The recipe as <see cref="Parse"/> reads it back; two recipes with equal JSON train the same run.</summary>
    public static string ToJson(this Recipe recipe) => JsonSerializer.Serialize(recipe, Json);

    /// <summary>A recipe from JSON text; <paramref name="source"/> names it in errors.</summary>
    public static Recipe Parse(string text, string source, IReadOnlyList<string>? sets = null)
    {
        if (text.Length > MaxFileBytes) throw new SemisupException($"{source}: {text.Length:N0} characters is larger than a recipe may be ({MaxFileBytes:N0} at most).");
        JsonObject file;
        try
        {
            using (var document = JsonDocument.Parse(text, DocumentOptions)) RefuseDuplicates(document.RootElement, "");
            file = JsonNode.Parse(text, documentOptions: DocumentOptions) as JsonObject
                ?? throw new SemisupException($"{source}: a recipe is a JSON object {{ ... }}.");
        }
        catch (JsonException e)
        {
            throw new SemisupException($"{source}: not valid JSON (line {e.LineNumber + 1}, character {e.BytePositionInLine + 1}).", e);
        }
        if (LegacyRecipe.IsFlat(file)) file = LegacyRecipe.Convert(file, source);
        var merged = (JsonObject)JsonSerializer.SerializeToNode(new Recipe(), Json)!;
        foreach (var (key, value) in file.ToList())
        {
            file.Remove(key);
            merged[key] = value;
        }
        foreach (var set in sets ?? []) Apply(merged, set);
        LegacyRecipe.DropRetired(merged, source);
        Check(merged, typeof(Recipe), "", source);
        try
        {
            return merged.Deserialize<Recipe>(Json) ?? throw new SemisupException($"{source}: empty recipe.");
        }
        catch (JsonException e)
        {
            // Check has looked at every key and value, so this is a combination it did not foresee.
            throw new SemisupException($"{source}: {Key(e.Path)}: {e.Message.Split(" Path:")[0]}", e);
        }
    }

    /// <summary><c>block.key=value</c>: the value is read as JSON (a number, true, [1, 2]) or else taken as text.</summary>
    static void Apply(JsonObject recipe, string set)
    {
        var (path, value) = set.IndexOf('=') is int eq and > 0 ? (set[..eq].Trim(), set[(eq + 1)..].Trim())
            : throw new SettingException(Setting.RecipeKey, set, "give block.key=value, e.g. method.threshold=0.9.");
        var parts = path.Split('.');
        if (parts.Length > MaxDepth)
            throw new SettingException(Setting.RecipeKey, path.Length > 60 ? path[..60] + "…" : path, $"{parts.Length:N0} levels; recipe keys are at most {MaxDepth} deep.");
        JsonNode parsed;
        try { parsed = JsonNode.Parse(value) ?? JsonValue.Create((string?)null)!; }
        catch (JsonException) { parsed = JsonValue.Create(value); }
        if (parts.Length == 1)
        {
            if (parts[0] is not ("description")) throw new SettingException(Setting.RecipeKey, set, $"give block.key=value; the blocks are {string.Join(", ", BlockKeys)}.");
            recipe[parts[0]] = parsed;
            return;
        }
        if (recipe[parts[0]] is not JsonObject block)
            throw new SettingException(Setting.RecipeKey, set, $"'{parts[0]}' is not a block; the blocks are {string.Join(", ", BlockKeys)}.");
        // A key inside a block's sub-block (augmentation.strong.cutout) makes the sub-block if the recipe has none.
        foreach (var inner in parts[1..^1])
        {
            if (block[inner] is not JsonObject sub)
            {
                if (block[inner] is not null) throw new SettingException(Setting.RecipeKey, set, $"'{inner}' is a value, not a block of keys.");
                block[inner] = sub = new JsonObject();
            }
            block = sub;
        }
        // A new kind starts from its own defaults: the old kind's keys would not fit it.
        if (parts[^1] == "kind") block.Clear();
        block[parts[^1]] = parsed;
    }

    static IEnumerable<string> BlockKeys => new Recipe().Blocks.Select(b => b.Key);

    /// <summary>Walks the merged recipe against the records it becomes, so every unknown key, missing kind and value
    /// of the wrong sort is reported in the recipe's terms.</summary>
    static void Check(JsonObject node, Type type, string at, string source)
    {
        if (at.Count(c => c == '.') >= MaxDepth) throw new SemisupException($"{source}: {at[..at.IndexOf('.')]}: blocks nested more than {MaxDepth} deep.");
        var info = Json.GetTypeInfo(type);
        bool polymorphic = info.PolymorphismOptions != null;
        string? kindName = null;
        if (info.PolymorphismOptions is { } poly)
        {
            var kinds = poly.DerivedTypes.Select(d => d.TypeDiscriminator?.ToString()).ToList();
            var list = string.Join(", ", kinds);
            if (node["kind"] is not JsonValue kindValue || kindValue.GetValueKind() != JsonValueKind.String)
                throw new SemisupException($"{source}: {at}: give its kind ({list}).");
            var kind = kindName = kindValue.GetValue<string>();
            var derived = poly.DerivedTypes.FirstOrDefault(d => d.TypeDiscriminator?.ToString() == kind);
            if (derived.DerivedType == null) throw new SemisupException($"{source}: {at}.kind: '{kind}' is not one of {list}.");
            info = Json.GetTypeInfo(derived.DerivedType);
        }
        // A key is read and written; a model's shape, which the dataset decides, is neither (Kinds.Modify).
        var properties = info.Properties.Where(p => p.Get != null && (p.Set != null || p.AssociatedParameter != null)).ToDictionary(p => p.Name);
        foreach (var (key, value) in node)
        {
            var where = at.Length == 0 ? key : $"{at}.{key}";
            if (key == "kind" && polymorphic) continue;
            if (!properties.TryGetValue(key, out var property))
            {
                var keys = properties.Keys.ToList();
                var nearest = keys.MinBy(k => Distance(k.ToLowerInvariant(), key.ToLowerInvariant()));
                var guess = nearest != null && Distance(nearest.ToLowerInvariant(), key.ToLowerInvariant()) <= Math.Max(2, key.Length / 3) ? $" Did you mean '{nearest}'?" : "";
                var owner = at.Length == 0 ? "a recipe" : polymorphic ? $"{at} of kind '{kindName}'" : at;
                throw new SemisupException($"{source}: {where}: {owner} has no such key.{guess} Its keys: {(keys.Count > 0 ? string.Join(", ", keys) : "none")}.{(at.Length == 0 ? LegacyRecipe.Hint(key) : "")}");
            }
            CheckValue(value, property.PropertyType, where, source);
        }
    }

    static void CheckValue(JsonNode? value, Type type, string where, string source)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (value == null)
        {
            if (nullable != null || !type.IsValueType) return;
            throw new SemisupException($"{source}: {where}: give {Expected(type)}, not null.");
        }
        type = nullable ?? type;
        if (type.IsArray)
        {
            if (value is not JsonArray array) throw new SemisupException($"{source}: {where}: give a list of {Expected(type.GetElementType()!)}s, e.g. [1, 2].");
            for (int i = 0; i < array.Count; i++) CheckValue(array[i], type.GetElementType()!, $"{where}[{i}]", source);
            return;
        }
        if (type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(ulong) || type == typeof(double))
        {
            bool fits = value is JsonValue v && (type == typeof(string) ? v.GetValueKind() == JsonValueKind.String
                : type == typeof(bool) ? v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                : v.GetValueKind() == JsonValueKind.Number && (type == typeof(double)
                    || type == typeof(int) && int.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    || type == typeof(ulong) && ulong.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out _)));
            if (!fits) throw new SemisupException($"{source}: {where}: give {Expected(type)}, not {value.ToJsonString()}.");
            if (type == typeof(string) && value.GetValue<string>().Length is var chars and > MaxTextLength)
                throw new SemisupException($"{source}: {where}: {chars:N0} characters is longer than a recipe's texts may be ({MaxTextLength:N0} at most).");
            return;
        }
        if (value is not JsonObject block) throw new SemisupException($"{source}: {where}: give a block {{ ... }}, not {value.ToJsonString()}.");
        Check(block, type, where, source);
    }

    static string Expected(Type type) =>
        type == typeof(string) ? "text in quotes" : type == typeof(bool) ? "true or false" : type == typeof(int) ? "a whole number"
        : type == typeof(ulong) ? "a whole number, 0 or more" : type == typeof(double) ? "a number" : "a value";

    static void RefuseDuplicates(JsonElement element, string at)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray()) RefuseDuplicates(item, $"{at}[{i++}]");
        }
        if (element.ValueKind != JsonValueKind.Object) return;
        var seen = new HashSet<string>();
        foreach (var p in element.EnumerateObject())
        {
            var where = at.Length == 0 ? p.Name : $"{at}.{p.Name}";
            if (!seen.Add(p.Name)) throw new SemisupException($"{where}: given twice; give each key once.");
            RefuseDuplicates(p.Value, where);
        }
    }

    static string Key(string? jsonPath) => (jsonPath ?? "$").TrimStart('$', '.');

    /// <summary>Levenshtein distance.</summary>
    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}

/// <summary><c>Recipe.Load</c>, <c>Recipe.Read</c>, <c>Recipe.Names</c> and <c>Recipe.FindRecipesDir</c>: where a
/// caller looks for them, while the record itself knows no files.</summary>
public static class RecipeLookup
{
    extension(Recipe)
    {
        /// <summary>A recipe by file path, or by name from the recipes directory.</summary>
        public static Recipe Load(string nameOrPath, string? recipesDir = null, IReadOnlyList<string>? sets = null) =>
            RecipeFile.Load(nameOrPath, recipesDir, sets);

        /// <summary>A recipe file as written, e.g. a run directory's resolved recipe.json.</summary>
        public static Recipe Read(string path) => RecipeFile.Read(path);

        /// <summary>The recipe names in a directory (its *.json files), sorted.</summary>
        public static IReadOnlyList<string> Names(string recipesDir) => RecipeFile.Names(recipesDir);

        /// <summary>recipes/ beside the working directory or any parent, else beside the program.</summary>
        public static string FindRecipesDir() => RecipeFile.FindRecipesDir();
    }
}
